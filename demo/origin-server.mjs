// The demo publisher's origin: a few static pages, and an article template for any slug.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./origin/', import.meta.url));

const TITLES = {
  'edge-ledgers': 'Ledgers at the edge',
  'prepaid-reading': 'Why prepaid reading works',
  'card-fees': 'The arithmetic of card fees',
  'annual-report': 'Premium: the annual report',
};

function article(slug, premium) {
  const title = TITLES[slug] ?? slug.replace(/[^a-z0-9-]/gi, ' ');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — The Demo Gazette</title><link rel="stylesheet" href="/style.css"></head>
<body><header><h1><a href="/">The Demo Gazette</a></h1></header>
<main><article><h2 data-testid="article-title">${title}</h2>
<p>${premium ? 'This premium report' : 'This article'} was paid for from your prepaid balance, at the edge, in well under a millisecond.</p>
<p>A card payment for a fifth of a cent would cost thirty cents in fees. A prepaid balance costs nothing per view.</p>
</article><p><a href="/">Back to the front page</a> · <a href="/__paywall/account">Your account</a></p></main></body></html>`;
}

export function startDemoOrigin(port, host = '127.0.0.1') {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://origin').pathname;
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const m = /^\/(articles|premium)\/([^/]+)\/?$/.exec(path);
    if (m) return send(200, 'text/html; charset=utf-8', article(m[2], m[1] === 'premium'));
    const file = { '/': 'index.html', '/about': 'about.html', '/style.css': 'style.css' }[path.replace(/(.)\/$/, '$1')];
    if (!file) return send(404, 'text/plain', 'Not found');
    const body = await readFile(dir + file);
    send(200, file.endsWith('.css') ? 'text/css' : 'text/html; charset=utf-8', body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
