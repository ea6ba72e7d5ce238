import type { Site } from '../rules/site-schema';
import { originSecretFor } from './origin-secret';

/** Headers that must not reach the origin: hop-by-hop ones, and ones some servers route by. */
const DROPPED_REQUEST_HEADERS = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-original-url',
  'x-rewrite-url',
  'x-original-uri',
  'x-envoy-original-path',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'paywall-origin-secret',
  'paywall-reader',
  'paywall-charged-micros',
  'paywall-receipt',
  // x402 payloads carry the reader's token, as Authorization does.
  'payment-signature',
  'x-payment',
];

export type OriginResult =
  | { ok: true; response: Response }
  | { ok: false; status: 502 | 504; error: 'origin_unreachable' | 'origin_timeout'; message: string };

/**
 * Sends the view to the origin at exactly `path` (the normalised one that was priced),
 * without the reader's paywall credentials, and with a shared secret the origin can
 * check to refuse requests that did not come through the paywall.
 */
export async function fetchOrigin(
  env: Env,
  request: Request,
  site: Site,
  path: string,
  search: string,
  paywallCookie: string,
  /** Aborts the fetch: a view started ahead of the wallet's answer that the wallet then refused. */
  cancel?: AbortSignal,
): Promise<OriginResult> {
  const target = new URL(site.origin);
  const base = target.pathname.replace(/\/$/, '');
  target.pathname = base + path;
  target.search = search;

  const headers = new Headers(request.headers);
  for (const name of DROPPED_REQUEST_HEADERS) headers.delete(name);
  // The client's own forwarding claims would tell a virtual-hosting origin another site.
  for (const name of [...headers.keys()]) if (name.startsWith('x-forwarded-') || name === 'forwarded') headers.delete(name);
  headers.delete('authorization');
  // The client's own cache directives (`max-stale`, `only-if-cached`) would ask a cache in
  // front of the origin to answer from storage; the fetch below sets no-cache instead.
  headers.delete('cache-control');
  headers.delete('pragma');
  stripCookie(headers, paywallCookie);
  const incoming = new URL(request.url);
  // The host whose rules priced the view, never another one that fell back to DEFAULT_SITE.
  const namesSite = incoming.hostname.replace(/\.$/, '') === site.host;
  headers.set('x-forwarded-host', namesSite ? incoming.host.replace(/\.(?=:\d+$|$)/, '') : site.host);
  headers.set('x-forwarded-proto', incoming.protocol.replace(':', ''));
  const clientIp = request.headers.get('cf-connecting-ip');
  if (clientIp) headers.set('x-forwarded-for', clientIp);
  const originSecret = originSecretFor(env, site.host);
  if (originSecret) headers.set('paywall-origin-secret', await originSecret);

  // The timeout runs until the origin's headers: a paid body may then take as long as it
  // needs to stream, since the charge was settled when the headers came.
  const timeoutMs = Number(env.ORIGIN_TIMEOUT_MS) || 15_000;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const onCancel = () => controller.abort();
  cancel?.addEventListener('abort', onCancel);
  try {
    const response = await fetch(target, {
      method: request.method,
      headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? null : request.body,
      redirect: 'manual',
      // Never through Cloudflare's cache: an origin that is itself behind Cloudflare could
      // otherwise have a priced object stored there, served to whoever asks the origin's
      // URL without the origin secret. The runtime neither looks it up nor stores it, and
      // tells the origin so (`Cache-Control: no-cache`, `Pragma: no-cache`). Needs
      // compatibility_date 2024-11-11 or later (wrangler.toml has it).
      cache: 'no-store',
      signal: controller.signal,
    });
    return { ok: true, response };
  } catch {
    return controller.signal.aborted
      ? { ok: false, status: 504, error: 'origin_timeout', message: `The origin did not answer within ${timeoutMs} ms.` }
      : { ok: false, status: 502, error: 'origin_unreachable', message: 'The origin could not be reached.' };
  } finally {
    clearTimeout(timer);
    cancel?.removeEventListener('abort', onCancel);
  }
}

function stripCookie(headers: Headers, name: string): void {
  const cookie = headers.get('cookie');
  if (!cookie) return;
  const kept = cookie
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p && !p.startsWith(`${name}=`));
  if (kept.length) headers.set('cookie', kept.join('; '));
  else headers.delete('cookie');
}
