import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { STYLESHEET_PATH } from './stylesheet';

/** `back`: the link above the page (the site's front page by default; null for none, as on the wallet host, which has no site). */
export function Layout(props: { title: string; children: Child; back?: { href: string; label: string } | null }) {
  const back = props.back === undefined ? { href: '/', label: '← Back to the site' } : props.back;
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
            {back && (
              <nav class="site-nav" aria-label="Site">
                <a href={back.href}>{back.label}</a>
              </nav>
            )}
            <main>{props.children}</main>
          </div>
        </body>
      </html>
    </>
  );
}
