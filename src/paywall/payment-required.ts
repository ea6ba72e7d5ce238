import type { Context } from 'hono';
import type { AppEnv } from '../http/app-types';
import { withPageHeaders } from '../pages/page-headers';
import { PaywallPage } from '../pages/paywall-page';
import { topUpOptionsOf } from '../pages/top-up-buttons';
import { safeReturnPath } from '../reader/return-path';
import { hasWalletHost, hostKindOf, hostName, walletOrigin } from '../http/hosts';
import { connectPath } from '../identity/continuation';
import type { PaymentRequiredReason, PricedView } from './view-outcome';

/** What the paywall page says besides the price: the daily cap as it stands, or the reader's ask-before-paying threshold. */
export type PaymentRequiredDetails = {
  dailyCapMicros?: number;
  spentTodayMicros?: number;
  /** A browser's view above the reader's threshold: the page asks, and its one click confirms this path. */
  askAboveMicros?: number | null;
  confirmPath?: string;
  /** A crawler paying by its signature alone stated no price (pay per crawl's `MissingCrawlerPrice`). */
  missingCrawlerPrice?: boolean;
};

export function wantsJson(c: Context): boolean {
  const accept = c.req.header('accept') ?? '';
  return /application\/([\w.-]+\+)?json/i.test(accept);
}

/** On a publisher host with a wallet host: the links that connect the reader's wallet, and open it. */
function walletLinks(c: Context, back: string): { connect: string; account: string } | null {
  const env = c.env as Env;
  if (!hasWalletHost(env) || hostKindOf(env, c.req.url) !== 'publisher') return null;
  const wallet = walletOrigin(env, c.req.url);
  const step = connectPath(hostName(new URL(c.req.url).hostname), back);
  return { connect: `${wallet}${step}`, account: `${wallet}/__paywall/account?${new URLSearchParams({ return: step })}` };
}

/**
 * The 402: JSON for API clients, the paywall page for browsers; never cached as content.
 * Nothing is charged. The outcome goes on the context, for the x402 and pay per crawl
 * middlewares to add their own terms of the refusal to the answer.
 */
export function paymentRequired(
  c: Context<AppEnv>,
  view: PricedView,
  reason: PaymentRequiredReason,
  balanceMicros: number | null,
  returnTo: string,
  details: PaymentRequiredDetails = {},
): Response | Promise<Response> {
  const { priceMicros } = view;
  c.set('viewOutcome', { refused: reason, view, missingCrawlerPrice: details.missingCrawlerPrice === true });
  c.header('Paywall-Price-Micros', String(priceMicros));
  c.header('Cache-Control', 'private, no-store');
  c.header('Vary', 'Accept, Authorization, Cookie');
  if (c.req.method === 'HEAD') return c.body(null, 402);
  if (wantsJson(c)) return c.json({ error: reason, priceMicros, balanceMicros }, 402);
  const back = safeReturnPath(returnTo);
  const cap =
    details.dailyCapMicros !== undefined
      ? { dailyCapMicros: details.dailyCapMicros, spentTodayMicros: details.spentTodayMicros ?? 0 }
      : null;
  const confirm = details.confirmPath !== undefined ? { path: details.confirmPath, askAboveMicros: details.askAboveMicros ?? null } : null;
  const page = PaywallPage({
    reason,
    priceMicros,
    balanceMicros,
    returnTo: back,
    topUps: topUpOptionsOf(c.env),
    wallet: walletLinks(c, back ?? '/'),
    cap,
    confirm,
  });
  return withPageHeaders(c, () => c.html(page, 402));
}
