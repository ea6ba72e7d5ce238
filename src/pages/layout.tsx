import type { Child } from 'hono/jsx';

export function Layout(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0; background: #f4f4f1; color: #1a1a1a; }
main { max-width: 40rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .75rem; }
.card { background: #fff; border: 1px solid #d6d6d0; border-radius: .6rem; padding: 1.25rem; margin: 1rem 0; }
.price { font-size: 2rem; font-weight: 700; }
.muted { color: #4a4a4a; }
button, .button { display: inline-block; font: inherit; font-weight: 600; padding: .65rem 1.1rem; border-radius: .45rem;
  border: 2px solid #1d4ed8; background: #1d4ed8; color: #fff; text-decoration: none; cursor: pointer; min-height: 44px; }
button.secondary, .button.secondary { background: #fff; color: #1d4ed8; }
button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
label { display: block; font-weight: 600; margin: .5rem 0 .25rem; }
input { font: inherit; padding: .5rem; border: 1px solid #767676; border-radius: .35rem; width: 100%; box-sizing: border-box; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .4rem .3rem; border-bottom: 1px solid #e2e2dc; }
.error { color: #a00; font-weight: 600; }
`;
