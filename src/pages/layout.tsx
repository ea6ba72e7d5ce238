import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { STYLESHEET_PATH } from './stylesheet';

export function Layout(props: { title: string; children: Child }) {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="robots" content="noindex" />
          <title>{props.title}</title>
          <link rel="stylesheet" href={STYLESHEET_PATH} />
        </head>
        <body>
          <div class="page">
            <nav class="site-nav" aria-label="Site">
              <a href="/">← Back to the site</a>
            </nav>
            <main>{props.children}</main>
          </div>
        </body>
      </html>
    </>
  );
}
