import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { AppError } from '../http/app-error';
import { hostKindOf, publisherOrigin } from '../http/hosts';
import { publisherHostParam } from '../identity/continuation';

/**
 * The wallet host's connect step (`/__paywall/connect?site=…`) answers "Allow and
 * continue" with a redirect to that publisher's callback. form-action covers
 * redirects, so its page must name that one publisher's origin too; any other page
 * keeps form-action to itself (and Stripe).
 */
function connectingPublisher(c: Context): string {
  const env = c.env as Env;
  if (c.req.path !== '/__paywall/connect' || hostKindOf(env, c.req.url) !== 'wallet') return '';
  const site = publisherHostParam(env, c.req.query('site'));
  return site ? publisherOrigin(site, c.req.url) : '';
}

/**
 * Headers for every page the paywall renders. The pages use one same-origin stylesheet
 * and, on the wallet host, one same-origin script (passkeys), so the CSP allows nothing else; forms post to the page
 * itself, the top-up form is redirected to Stripe Checkout and the wallet's consent to
 * the publisher (form-action covers redirects). No HSTS: the pages live on the publisher's domain, whose HSTS policy is
 * the publisher's to set, not ours to impose on all its subdomains.
 */
const secure = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    styleSrc: ["'self'"],
    // The wallet host's passkey script, served as a file; no inline script anywhere.
    scriptSrc: ["'self'"],
    connectSrc: ["'self'"],
    imgSrc: ["'self'"],
    formAction: ["'self'", 'https://checkout.stripe.com', connectingPublisher],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  xFrameOptions: 'DENY',
  referrerPolicy: 'same-origin',
  strictTransportSecurity: false,
});

/** A page shows one reader's balance: never stored by any cache. */
export const pageHeaders: MiddlewareHandler = async (c, next) => {
  await secure(c, next);
  c.res.headers.set('cache-control', 'private, no-store');
};

/** For a page rendered outside the page routes (the 402 paywall page): the same headers. */
export async function withPageHeaders(c: Context, render: () => Response | Promise<Response>): Promise<Response> {
  await pageHeaders(c, async () => {
    c.res = await render();
  });
  return c.res;
}

/** A page's forms are small: a larger body is refused before it is read, with a page a person reads. */
export function formBodyLimit(maxSize: number): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError('body_too_large', 'The form is too large.', { page: true });
    },
  });
}
