import { log } from '../http/log';
import { usdForPeople } from '../money';

/**
 * The receipt bar: a site's opt-in (`receiptBar: true`) line at the start of a paid HTML
 * page with what the view cost, the balance left and a link to its receipt, where the
 * view can be taken back.
 *
 * It must not break the publisher's page or its Content Security Policy:
 * - no script, no `style` attribute, no request of its own (a stylesheet from our origin
 *   could be refused by the page's style-src as well, and would cost a round trip);
 * - the markup reads as a sentence with the page's own styles (an `<aside>` landmark
 *   named "Paywall receipt", a paragraph, a link): that is all a page gets whose policy
 *   does not allow inline styles;
 * - a `<style>` element, scoped to the bar's class, is added only when no policy of the
 *   answer (its headers, enforced or report-only, and any `<meta http-equiv>` before the
 *   body) would refuse it, so the publisher's console and CSP reports stay clean.
 */

export type ReceiptBar = { chargedMicros: number; balanceMicros: number; receiptUrl: string };

/**
 * HTML-escapes a text for an element's content or a double-quoted attribute. Characters
 * beyond ASCII become references, so the bar reads the same in a page of any charset.
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!)
    .replace(/[^\x00-\x7f]/gu, (ch) => `&#x${ch.codePointAt(0)!.toString(16)};`);
}

export const RECEIPT_BAR_CLASS = 'paywall-receipt';

/**
 * Scoped by class and attribute, so that it wins over a publisher's rules for plain `aside`,
 * `p` or `a`; `all: initial` undoes what such rules set (a float, a width, a margin).
 * It sits in the flow, not fixed over the publisher's header, and spans a grid or flex body.
 */
const STYLE =
  `aside.${RECEIPT_BAR_CLASS}[data-paywall-receipt]{all:initial;display:block;box-sizing:border-box;width:auto;margin:0 0 8px;` +
  'padding:6px 14px;background:#f4f6f3;border:1px solid #d5dbd2;border-radius:6px;color:#1f2a1c;' +
  'font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;text-align:start;grid-column:1/-1;flex:0 0 100%}' +
  `aside.${RECEIPT_BAR_CLASS}[data-paywall-receipt] *{all:unset}` +
  // The items wrap as wholes, apart by a gap: the dots that part them unstyled would dangle at a line's end.
  `aside.${RECEIPT_BAR_CLASS}[data-paywall-receipt] p{display:flex;flex-wrap:wrap;gap:2px 20px;margin:0 auto;max-width:72rem}` +
  `aside.${RECEIPT_BAR_CLASS}[data-paywall-receipt] strong{font-weight:600;font-variant-numeric:tabular-nums}` +
  `aside.${RECEIPT_BAR_CLASS}[data-paywall-receipt] .sep{display:none}` +
  `aside.${RECEIPT_BAR_CLASS}[data-paywall-receipt] a{color:#1d5b96;text-decoration:underline;text-underline-offset:2px;cursor:pointer}` +
  `aside.${RECEIPT_BAR_CLASS}[data-paywall-receipt] a:hover{color:#123f6a}` +
  `aside.${RECEIPT_BAR_CLASS}[data-paywall-receipt] a:focus-visible{outline:2px solid #1d5b96;outline-offset:2px;border-radius:2px}` +
  '@media print{aside.paywall-receipt[data-paywall-receipt]{display:none}}';

/** The bar's markup, every text escaped, ASCII only and well-formed XML too (an XHTML page); with its `<style>` only when `styled`. */
export function receiptBarHtml(bar: ReceiptBar, styled: boolean): string {
  const sep = '<span class="sep" aria-hidden="true"> &#xb7; </span>';
  return (
    (styled ? `<style>${STYLE}</style>` : '') +
    `<aside class="${RECEIPT_BAR_CLASS}" data-paywall-receipt="" aria-label="Paywall receipt">` +
    `<p><span>Paid <strong>${escapeHtml(usdForPeople(bar.chargedMicros))}</strong> for this page</span>${sep}` +
    `<span>Balance <strong>${escapeHtml(usdForPeople(bar.balanceMicros))}</strong></span>${sep}` +
    `<a href="${escapeHtml(bar.receiptUrl)}">Receipt, or take this view back</a></p></aside>`
  );
}

const HASH_OR_NONCE = /^'(nonce-|sha256-|sha384-|sha512-)/i;

/**
 * Whether every Content Security Policy given (header values, each possibly several
 * policies joined by commas) lets a `<style>` element in: the directive that governs it
 * (`style-src-elem`, else `style-src`, else `default-src`; the first of a name counts)
 * must allow `'unsafe-inline'`, which a nonce or a hash in the same list switches off.
 * No policy, or none of those directives: allowed.
 */
export function inlineStylesAllowed(policies: string[]): boolean {
  for (const policy of policies.flatMap((p) => p.split(','))) {
    const directives = new Map<string, string[]>();
    for (const part of policy.split(';')) {
      const [name, ...sources] = part.trim().split(/\s+/);
      if (!name) continue;
      const key = name.toLowerCase();
      if (!directives.has(key))
        directives.set(
          key,
          sources.map((s) => s.toLowerCase()),
        );
    }
    const sources = directives.get('style-src-elem') ?? directives.get('style-src') ?? directives.get('default-src');
    if (sources === undefined) continue;
    if (!sources.includes("'unsafe-inline'") || sources.some((s) => HASH_OR_NONCE.test(s))) return false;
  }
  return true;
}

/** The policies an answer's headers give, enforced and report-only. */
export function headerPolicies(headers: Headers): string[] {
  return ['content-security-policy', 'content-security-policy-report-only'].flatMap((name) => {
    const value = headers.get(name);
    return value === null ? [] : [value];
  });
}

/**
 * Adds the bar's handlers to a rewriter the paid page already streams through: the
 * policies of `<meta http-equiv="Content-Security-Policy">` elements met before the body
 * are added to the headers', and the bar goes first in the body once `enabled` says so.
 * A fault here never breaks the page: the bar is left out.
 */
export function addReceiptBar(rewriter: HTMLRewriter, bar: () => ReceiptBar, policies: string[], enabled: Promise<boolean>): HTMLRewriter {
  const metaPolicies: string[] = [];
  let done = false;
  // An answer's promise is settled once, before the body: no unhandled rejection either way.
  const on = enabled.catch((e) => {
    log('error', 'receipt_bar_setting_not_read', { error: e });
    return false;
  });
  return rewriter
    .on('meta', {
      element(el) {
        if (done) return;
        if ((el.getAttribute('http-equiv') ?? '').trim().toLowerCase() !== 'content-security-policy') return;
        const content = el.getAttribute('content');
        if (content) metaPolicies.push(content);
      },
    })
    .on('body', {
      async element(el) {
        if (done) return;
        done = true;
        try {
          if (!(await on)) return;
          el.prepend(receiptBarHtml(bar(), inlineStylesAllowed([...policies, ...metaPolicies])), { html: true });
        } catch (e) {
          log('error', 'receipt_bar_not_added', { error: e });
        }
      },
    });
}
