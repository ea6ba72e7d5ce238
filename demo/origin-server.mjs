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

const NEWS_STORIES = {
  'night-trains': 'The night trains are back',
  'city-budget': 'What the city budget pays for',
  'river-clean-up': 'Volunteers clean the river',
};

function newsPage(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — The Evening News</title><link rel="stylesheet" href="/style.css"></head>
<body><header><h1><a href="/">The Evening News</a></h1><p>A second publisher on the same network: the same wallet pays here.</p></header>
<main>${body}</main></body></html>`;
}

/** The second demo publisher's origin (news.localhost): front page free, stories three tenths of a cent. */
export function startNewsOrigin(port, host = '127.0.0.1') {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://origin').pathname.replace(/(.)\/$/, '$1');
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path === '/style.css') return send(200, 'text/css', await readFile(`${dir}style.css`));
    if (path === '/') {
      const items = Object.entries(NEWS_STORIES)
        .map(([slug, title]) => `<li><a href="/stories/${slug}">${title}</a> <span class="tag">$0.003</span></li>`)
        .join('\n');
      return send(
        200,
        'text/html; charset=utf-8',
        newsPage('Front page', `<h2>Tonight</h2><ul>${items}</ul><p><a href="/__paywall/account">Your wallet</a></p>`),
      );
    }
    const m = /^\/stories\/([^/]+)$/.exec(path);
    if (m) {
      const title = NEWS_STORIES[m[1]] ?? m[1].replace(/[^a-z0-9-]/gi, ' ');
      const body = `<article><h2 data-testid="article-title">${title}</h2><p>Paid from the same prepaid wallet as every other site on this network.</p></article><p><a href="/">Back to the front page</a></p>`;
      return send(200, 'text/html; charset=utf-8', newsPage(title, body));
    }
    send(404, 'text/plain', 'Not found');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
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
