/**
 * The three kinds of host one worker serves: the admin host (`ADMIN_HOST`), the readers'
 * wallet host (`WALLET_HOST`) and every other host, a publisher's. Host names are
 * compared in lower case, without a port or a trailing dot.
 */
export type HostKind = 'admin' | 'wallet' | 'publisher';

export function hostName(host: string): string {
  return host.trim().toLowerCase().replace(/:\d*$/, '').replace(/\.$/, '');
}

function configured(name: string | undefined): string {
  return name ? hostName(name) : '';
}

export function walletHostOf(env: Env): string {
  return configured(env.WALLET_HOST);
}

export function hostKindOf(env: Env, url: string): HostKind {
  const host = hostName(new URL(url).hostname);
  const admin = configured(env.ADMIN_HOST);
  if (admin !== '' && host === admin) return 'admin';
  const wallet = walletHostOf(env);
  if (wallet !== '' && host === wallet) return 'wallet';
  return 'publisher';
}

/**
 * Whether the wallet lives on a host of its own. Without `WALLET_HOST` (a deployment
 * made before it existed) each publisher host keeps its own cookie wallet and pages.
 */
export function hasWalletHost(env: Env): boolean {
  return walletHostOf(env) !== '';
}

/** `http(s)://<WALLET_HOST>[:port]`: the same scheme and port as this request, so the demo's one port serves every host. */
export function walletOrigin(env: Env, requestUrl: string): string {
  const url = new URL(requestUrl);
  return `${url.protocol}//${walletHostOf(env)}${url.port ? `:${url.port}` : ''}`;
}

/** The origin of a publisher host, seen from a request on the wallet host (same scheme and port). */
export function publisherOrigin(host: string, requestUrl: string): string {
  const url = new URL(requestUrl);
  return `${url.protocol}//${host}${url.port ? `:${url.port}` : ''}`;
}
