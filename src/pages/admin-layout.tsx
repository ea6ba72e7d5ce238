import { useContext, type Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { ViewerContext } from './admin-viewer';

/** The console's page frame. Its style and script carry the CSP nonce: the page needs no 'unsafe-inline'. */
export function AdminLayout(props: {
  title: string;
  nonce: string;
  signedIn: boolean;
  children: Child;
  script?: string;
  scriptSrc?: string;
}) {
  const viewer = useContext(ViewerContext);
  const person = viewer?.kind === 'person' ? viewer : null;
  return (
    <>
      {/* Without a doctype the page renders in quirks mode (forms grow a bottom margin, among other things). */}
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <title>{`${props.title} · Paywall admin`}</title>
          <style nonce={props.nonce}>{raw(STYLE)}</style>
        </head>
        <body>
          <header class="top">
            <a class="brand" href="/__paywall/admin">
              Paywall admin
            </a>
            {props.signedIn ? (
              <nav>
                <a href="/__paywall/admin">Sites</a>
                {person ? (
                  <a href={`/__paywall/admin/publishers/${person.publisherId}`}>{person.publisherName}</a>
                ) : (
                  <>
                    <a href="/__paywall/admin/publishers">Publishers</a>
                    <a href="/__paywall/admin/readers">Readers</a>
                  </>
                )}
                <a href="/__paywall/admin/audit">Audit log</a>
                {person ? null : <a href="/__paywall/admin/debts">Wallets in debt</a>}
                {person ? (
                  <span class="who" data-testid="signed-in-as">
                    {person.personName}
                  </span>
                ) : (
                  <span class="who">Operator</span>
                )}
                <form method="post" action="/__paywall/admin/sign-out" class="inline">
                  <button type="submit" class="link">
                    Sign out
                  </button>
                </form>
              </nav>
            ) : null}
          </header>
          <main>{props.children}</main>
          {props.script ? <script nonce={props.nonce}>{raw(props.script)}</script> : null}
          {props.scriptSrc ? <script nonce={props.nonce} src={props.scriptSrc} defer /> : null}
        </body>
      </html>
    </>
  );
}

const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0; background: #f4f4f1; color: #1a1a1a; }
.top { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: .5rem 1.5rem;
  background: #1e293b; color: #fff; padding: .6rem 1.25rem; }
.top a, .top .link { color: #fff; }
.brand { font-weight: 700; text-decoration: none; }
nav { display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; align-items: center; line-height: 1.5; }
.who { color: #cbd5e1; font-size: .9rem; }
.once { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9rem; word-break: break-all; background: #fffbeb; border: 1px solid #f59e0b; border-radius: .4rem; padding: .6rem .75rem; }
textarea { font: inherit; padding: .45rem; border: 1px solid #767676; border-radius: .35rem; box-sizing: border-box; width: 100%; min-height: 5rem; }
details.break-glass { margin-top: 1.25rem; border-top: 1px solid #e2e2dc; padding-top: .75rem; }
details.break-glass summary { cursor: pointer; font-weight: 600; }
.claim { border-top: 1px solid #e2e2dc; margin-top: 1rem; padding-top: .5rem; }
label.check { display: flex; gap: .5rem; align-items: center; font-weight: 400; margin-top: .6rem; }
label.check input { min-height: 0; width: 1.1rem; height: 1.1rem; }
.field-row { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; }
.field-row > div { flex: 1 1 12rem; }
.field-row input, .field-row select { width: 100%; }
main { max-width: 68rem; margin: 0 auto; padding: 1.25rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: .25rem 0 .75rem; }
h2 { font-size: 1.2rem; margin: 0 0 .75rem; }
.card { background: #fff; border: 1px solid #d6d6d0; border-radius: .6rem; padding: 1.1rem 1.25rem; margin: 1rem 0; }
.narrow { max-width: 28rem; margin: 2rem auto; }
.muted { color: #4a4a4a; }
.small { font-size: .9rem; }
button, .button { display: inline-flex; align-items: center; justify-content: center; box-sizing: border-box; line-height: 1.3; font: inherit; font-weight: 600; padding: .5rem 1rem; border-radius: .45rem;
  border: 2px solid #1d4ed8; background: #1d4ed8; color: #fff; text-decoration: none; cursor: pointer; min-height: 40px; }
button.secondary, .button.secondary { background: #fff; color: #1d4ed8; }
button.small { min-height: 32px; padding: .2rem .55rem; font-size: .85rem; }
button.danger { border-color: #b91c1c; background: #fff; color: #b91c1c; }
button.link { display: inline; background: none; border: 0; padding: 0; min-height: 0; font-weight: 400; line-height: 1.5; text-decoration: underline; }
button:disabled { opacity: .4; cursor: default; }
button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
form.inline { display: inline; }
label { display: block; font-weight: 600; margin: .5rem 0 .25rem; }
input, select { font: inherit; min-height: 40px; padding: .45rem; border: 1px solid #767676; border-radius: .35rem; box-sizing: border-box; background: #fff; }
input.wide { width: 100%; }
input[aria-invalid="true"], select[aria-invalid="true"] { border: 2px solid #b91c1c; background: #fff7f7; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .45rem .35rem; border-bottom: 1px solid #e2e2dc; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.rules td { padding: .5rem .3rem; }
.rules input.pattern { width: 100%; min-width: 12rem; }
.rules input.price { width: 7rem; }
.rules input.window { width: 5rem; }
.row-actions, .pair { white-space: nowrap; }
.error { color: #a00; font-weight: 600; }
.field-error { color: #a00; font-size: .88rem; font-weight: 600; margin: .25rem 0 0; }
.notice { border-left: 4px solid #15803d; background: #f0fdf4; padding: .6rem .9rem; margin: 1rem 0; }
.alert { border-left: 4px solid #b91c1c; background: #fef2f2; padding: .6rem .9rem; margin: 1rem 0; }
.actions { display: flex; flex-wrap: wrap; align-items: center; gap: .6rem; margin-top: 1rem; }
.preview-row { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; }
.preview-row input { min-width: 16rem; }
.offscreen { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
.totals { display: flex; flex-wrap: wrap; gap: 1rem; margin: .5rem 0 1rem; }
.totals div { background: #f8fafc; border: 1px solid #e2e8f0; border-radius: .5rem; padding: .5rem .9rem; }
.totals strong { display: block; font-size: 1.35rem; }
.chart { width: 100%; height: auto; max-width: 56rem; display: block; }
.chart text { font-size: 11px; fill: #334155; }
.chart .grid line { stroke: #e2e8f0; }
.chart .axis line, .chart .axis path { stroke: #94a3b8; }
.chart .bar { fill: #93c5fd; }
.chart .revenue { fill: none; stroke: #b45309; stroke-width: 2.5; }
.chart .point { fill: #b45309; }
.legend { display: flex; gap: 1.25rem; font-size: .9rem; margin: .25rem 0 .5rem; }
.swatch { display: inline-block; width: .9rem; height: .9rem; vertical-align: -2px; margin-right: .35rem; border-radius: 2px; }
.swatch.views { background: #93c5fd; }
.swatch.revenue { background: #b45309; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .88rem; }
pre { background: #f8fafc; border: 1px solid #e2e8f0; padding: .6rem; overflow: auto; max-height: 20rem; }
.diff-add { color: #166534; }
/* On a phone the rules table becomes one card per rule, each field under its own label. */
@media (max-width: 44rem) {
  .top { padding: .6rem .9rem; }
  main { padding: 1rem .6rem 3rem; }
  .card { padding: .9rem .8rem; }
  .rules thead { position: absolute; left: -10000px; }
  .rules, .rules tbody, .rules tr, .rules td { display: block; width: 100%; box-sizing: border-box; }
  .rules tr { border: 1px solid #d6d6d0; border-radius: .5rem; margin: 0 0 .75rem; padding: .35rem .6rem; }
  .rules td { border: 0; padding: .3rem 0; }
  .rules td[data-col]::before { content: attr(data-col); display: block; font-weight: 600; font-size: .88rem; margin-bottom: .2rem; }
  .rules td.rule-no { font-weight: 700; }
  .rules td.rule-no::before { content: "Rule "; }
  .rules input.pattern { min-width: 0; }
  .row-actions { white-space: normal; }
  .preview-row input { min-width: 0; width: 100%; }
  table:not(.rules) { display: block; overflow-x: auto; }
}
.diff-del { color: #991b1b; }
/* The crawler policy's rows stack on a phone: one control under the other, each labelled. */
@media (max-width: 40rem) {
  .crawler-rules thead { display: none; }
  .crawler-rules tr { display: block; border-bottom: 1px solid #e2e2dc; padding: .5rem 0; }
  .crawler-rules td { display: block; border: 0; padding: .2rem 0; }
  .crawler-rules input.pattern, .crawler-rules td > select { min-width: 0; width: 100%; }
}
`;
