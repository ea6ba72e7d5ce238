// The publisher's origin for the bench: every path answers 200 with a 2 KB HTML page, after
// <ms> milliseconds when the path has a `/delay-<ms>/` segment (an origin a network away).
// Run as a child process so that it does not share an event loop with the load generator.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

export const PAGE_BYTES = 2048;

/** @param {string} path */
function page(path) {
  const head = `<!doctype html><html><head><meta charset="utf-8"><title>${path}</title></head><body><article><h1>${path}</h1><p>`;
  const tail = '</p></article></body></html>\n';
  const filler = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ';
  let body = '';
  while (head.length + body.length + tail.length < PAGE_BYTES) body += filler;
  return Buffer.from(head + body.slice(0, PAGE_BYTES - head.length - tail.length) + tail);
}

function serve() {
  /** @type {Map<string, Buffer>} */
  const cache = new Map();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/')
      .split('?')[0]
      .slice(0, 200)
      .replace(/[<>&"]/g, '');
    let body = cache.get(path);
    if (!body) {
      body = page(path);
      if (cache.size < 50_000) cache.set(path, body);
    }
    const send = () => {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': body.length,
        'cache-control': 'public, max-age=60',
      });
      res.end(body);
    };
    const delay = /\/delay-(\d{1,4})\//.exec(path);
    if (delay) setTimeout(send, Number(delay[1]));
    else send();
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: /** @type {import('node:net').AddressInfo} */ (server.address()).port }));
}

/**
 * Starts the origin in its own process; resolves with its URL and a stop function.
 * @returns {Promise<{ url: string, pid: number, stop: () => Promise<void> }>}
 */
export function startOrigin() {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`origin exited with ${code}`)));
    child.once('message', (message) =>
      resolve({
        url: `http://127.0.0.1:${/** @type {{ port: number }} */ (message).port}`,
        pid: /** @type {number} */ (child.pid), // spawned: it answered
        stop: () =>
          /** @type {Promise<void>} */ (
            new Promise((done) => (child.exitCode !== null ? done() : (child.once('exit', done), child.kill())))
          ),
      }),
    );
  });
}

if (process.argv.includes('--serve')) serve();
