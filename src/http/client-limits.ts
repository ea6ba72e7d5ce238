import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './app-types';
import { AppError } from './app-error';
import { log } from './log';

/**
 * Who a request comes from, for limits: the address Cloudflare puts in CF-Connecting-IP
 * (a client cannot set it), an IPv6 address by its /64, which one subscriber holds whole.
 * Null for requests that did not come through Cloudflare's edge (the tests' direct calls)
 * or from this machine (the local demo and bench), which are not limited.
 */
export function clientKey(ip: string | undefined): string | null {
  if (!ip || ip === '127.0.0.1' || ip === '::1') return null;
  if (!ip.includes(':')) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * A per-client limit from a Workers Rate Limiting binding: over it, a 429 and nothing
 * done. If the limiter itself fails, the request goes ahead: these limits protect the
 * service, and refusing every sign-up because a counter is down would be the outage.
 */
export function limitPerClient(limiter: (env: Env) => RateLimit, what: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = clientKey(c.req.header('cf-connecting-ip'));
    if (key !== null) {
      const outcome = await limiter(c.env)
        .limit({ key })
        .catch((e: unknown) => {
          log('error', 'rate_limiter_failed', { what, outcome: 'let through', error: e });
          return { success: true };
        });
      if (!outcome.success) {
        throw new AppError('rate_limited', `Too many ${what} from this client; try again in a minute.`, {
          headers: { 'Retry-After': '60' },
        });
      }
    }
    await next();
  });
}
