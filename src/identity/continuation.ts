import { hostKindOf } from '../http/hosts';
import { safeReturnPath } from '../reader/return-path';

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** A publisher host as a connect step names it: a plain lower-case host name that is neither the wallet nor the admin host. */
export function publisherHostParam(env: Env, raw: string | undefined): string | null {
  if (!raw || !HOST_NAME.test(raw)) return null;
  return hostKindOf(env, `http://${raw}/`) === 'publisher' ? raw : null;
}

/** The wallet host's connect step for a publisher and the path to go back to there. */
export function connectPath(site: string, returnPath: string): string {
  return `/__paywall/connect?${new URLSearchParams({ site, return: returnPath })}`;
}

/**
 * Where a reader goes on the wallet host after signing in: only ever a connect step
 * (whose site and return path are checked again there), so the parameter cannot send
 * anyone off the wallet host or into another of its forms.
 */
export function safeNext(env: Env, raw: string | null | undefined): string | null {
  if (!raw || raw.length > 2400 || !raw.startsWith('/__paywall/connect?')) return null;
  const params = new URLSearchParams(raw.slice('/__paywall/connect?'.length));
  const site = publisherHostParam(env, params.get('site') ?? undefined);
  const back = safeReturnPath(params.get('return'));
  if (!site || !back || [...params.keys()].some((k) => k !== 'site' && k !== 'return')) return null;
  return connectPath(site, back);
}
