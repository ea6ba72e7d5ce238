/**
 * The pages' one stylesheet, served from /__paywall/assets/ so that the pages' CSP can
 * say `style-src 'self'` and allow no inline style or script at all.
 */
export const STYLESHEET_PATH = '/__paywall/assets/pages-v4.css';

export const STYLESHEET = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5; }
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; background: #f4f4f1; color: #1a1a1a; }
.page { max-width: 42rem; margin: 0 auto; padding: 1rem 1rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 .75rem; }
h2 { font-size: 1.2rem; margin: 0 0 .5rem; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .25rem; }
p { margin: .5rem 0; }
a { color: #1d4ed8; }
.card { background: #fff; border: 1px solid #d6d6d0; border-radius: .6rem; padding: 1.1rem 1.25rem; margin: 1rem 0; }
.card.highlight { border: 2px solid #1d4ed8; }
/* A card starts at its padding, also when its first heading is only for screen readers. */
.card > :first-child, .card > .visually-hidden:first-child + * { margin-top: 0; }
.price { font-size: 2rem; font-weight: 700; margin: 0; }
.amount { font-size: 2rem; font-weight: 700; margin: 0; font-variant-numeric: tabular-nums; }
.muted { color: #4a4a4a; }
.small { font-size: .9rem; }
.actions { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; margin: .75rem 0 .25rem; }
.actions form { margin: 0; }
button, .button { display: inline-flex; align-items: center; justify-content: center; font: inherit; font-weight: 600;
  padding: .6rem 1.1rem; border-radius: .45rem; border: 2px solid #1d4ed8; background: #1d4ed8; color: #fff;
  text-decoration: none; cursor: pointer; min-height: 44px; }
button:hover, .button:hover { background: #1e40af; border-color: #1e40af; }
button.secondary, .button.secondary { background: #fff; color: #1d4ed8; }
button.secondary:hover, .button.secondary:hover { background: #eef2ff; }
button:focus-visible, a:focus-visible, input:focus-visible, summary:focus-visible, [tabindex]:focus-visible { outline: 3px solid #b45309; outline-offset: 2px; }
label { display: block; font-weight: 600; margin: .5rem 0 .25rem; }
input { font: inherit; padding: .55rem .6rem; border: 1px solid #6b6b6b; border-radius: .35rem; width: 100%; max-width: 14rem; min-height: 44px; }
input[aria-invalid="true"], textarea[aria-invalid="true"] { border: 2px solid #b91c1c; }
input.wide { max-width: 32rem; }
textarea { font: inherit; font-family: ui-monospace, monospace; font-size: .9rem; padding: .55rem .6rem; border: 1px solid #6b6b6b; border-radius: .35rem; width: 100%; max-width: 32rem; }
textarea:focus-visible { outline: 3px solid #b45309; outline-offset: 2px; }
select { font: inherit; padding: .45rem .5rem; border: 1px solid #6b6b6b; border-radius: .35rem; min-height: 44px; max-width: 100%; background: #fff; }
select:focus-visible { outline: 3px solid #b45309; outline-offset: 2px; }
.take-back { margin-top: .4rem; }
/* The reason list may shrink with its column, so the history table fits its card (the running balance stays in view). */
.take-back select { width: 100%; max-width: 16rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
dl.receipt { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
dl.receipt dd { margin: 0; overflow-wrap: anywhere; }
.field-row { display: flex; flex-wrap: wrap; gap: .6rem; align-items: flex-end; }
.hint { font-size: .9rem; color: #4a4a4a; margin: .25rem 0; }
.notice { background: #ecfdf5; border: 1px solid #047857; color: #064e3b; border-radius: .5rem; padding: .75rem 1rem; margin: 1rem 0; }
.error { background: #fef2f2; border: 1px solid #b91c1c; color: #7f1d1d; border-radius: .5rem; padding: .75rem 1rem; margin: 1rem 0; }
.field-error { color: #b91c1c; font-weight: 600; margin: .25rem 0; }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding-bottom: .25rem; }
th, td { text-align: left; padding: .45rem .35rem; border-bottom: 1px solid #e2e2dc; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.what { overflow-wrap: break-word; }
td.what .title { font-weight: 600; }
td.what .where { display: block; margin: 0; }
td.when { white-space: nowrap; }
.nowrap { white-space: nowrap; }
.pager { display: flex; justify-content: space-between; gap: 1rem; margin-top: .75rem; }
.topup-group { margin: .5rem 0 1rem; }
.topup-group:last-child { margin-bottom: 0; }
.group-label { font-weight: 600; margin: .25rem 0 0; }
.site-nav { font-size: .95rem; margin: 0 0 .5rem; }
.tag { display: inline-block; font-size: .8rem; font-weight: 600; padding: .05rem .45rem; border-radius: 1rem; background: #e5e7eb; color: #1f2937; }
/* Two families, so that the browser does not drop monospace text to its 13px default. */
code { font-family: ui-monospace, Menlo, Consolas, monospace, monospace; font-size: .9em; overflow-wrap: anywhere; }
.lead { font-size: 1.05rem; color: #333; }
.plain-list { list-style: none; padding: 0; margin: .25rem 0; }
.plain-list li { border-bottom: 1px solid #e2e2dc; padding: .5rem 0; }
.row-form { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; margin: 0; }
.recovery-code code { display: inline-block; font-size: 1.1rem; letter-spacing: .04em; padding: .5rem .75rem; background: #f4f4f1; border: 1px dashed #6b6b6b; border-radius: .4rem; }
details summary { cursor: pointer; color: #1d4ed8; margin: .75rem 0 .25rem; min-height: 44px; display: flex; align-items: center; gap: .4rem; }
/* display: flex drops the browser's disclosure triangle: one drawn here says that it opens. */
details summary::before { content: '▸'; }
details[open] summary::before { content: '▾'; }
@media (max-width: 30rem) {
  .page { padding: .75rem .75rem 2.5rem; }
  h1 { font-size: 1.4rem; }
  .card { padding: 1rem; }
  .actions > *, .actions button, .actions .button { width: 100%; }
  .actions form button { width: 100%; }
  input { max-width: none; }
  td.when .time { display: block; }
  /* The running balance is the one column a phone can spare: the balance is shown above. */
  th.after, td.after { display: none; }
  table { font-size: .95rem; }
}
`;
