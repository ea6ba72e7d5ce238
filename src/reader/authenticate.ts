import type { Context } from 'hono';
import type { AppEnv } from '../http/app-types';
import { reportLeases } from '../paywall/spend-leases';
import { hasWalletHost, hostKindOf, hostName } from '../http/hosts';
import { walletOf } from '../wallet/wallet-stub';
import type { Grant } from '../wallet/wallet-types';
import { verifyCredential, type Credential } from './reader-token';

/** A publisher host's cookie: a spend token, or the reader token of a wallet made on that host. */
export const READER_COOKIE = 'paywall_token';
/**
 * The wallet host's session cookie. `__Host-` makes the browser refuse it unless it is
 * host-only, `Secure` and `Path=/`, so no sibling subdomain can plant one.
 */
export const SESSION_COOKIE = '__Host-paywall_session';

export type Presented = { credential: Credential; via: 'bearer' | 'cookie' };

/** The name of the reader's cookie on this request's host. */
export function cookieNameFor(c: Context<AppEnv>): string {
  return hasWalletHost(c.env) && hostKindOf(c.env, c.req.url) === 'wallet' ? SESSION_COOKIE : READER_COOKIE;
}

/**
 * The token a request carries, bearer first, then the host's cookie. A cookie name that
 * appears twice is refused: a sibling subdomain can set one with `Domain=` and a longer
 * `Path`, which the browser sends first, and nothing tells which one is ours.
 */
export function presentedToken(c: Context<AppEnv>): { token: string; via: 'bearer' | 'cookie' } | null {
  const auth = c.req.header('authorization');
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? { token: m[1]!, via: 'bearer' } : null;
  }
  const values = cookieValues(c.req.header('cookie') ?? '', cookieNameFor(c));
  return values.length === 1 ? { token: values[0]!, via: 'cookie' } : null;
}

function cookieValues(header: string, name: string): string[] {
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      out.push(decodeURIComponent(value));
    } catch {
      out.push('');
    }
  }
  return out;
}

/** What the request's token proves on this host (signature and expiry only), or null. */
export async function presentedCredential(c: Context<AppEnv>): Promise<Presented | null> {
  const presented = presentedToken(c);
  if (!presented) return null;
  const credential = await verifyCredential(c.env, presented.token, hostName(new URL(c.req.url).hostname));
  return credential ? { credential, via: presented.via } : null;
}

/** The wallet row that can revoke a credential, if any: reader tokens are not revocable. */
export function grantOf(credential: Credential): Grant | undefined {
  if (credential.kind === 'session') return { kind: 'session', id: credential.sessionId };
  if (credential.kind === 'spend') return { kind: 'connection', id: credential.connectionId };
  if (credential.kind === 'named') return { kind: 'token', id: credential.tokenId };
  return undefined;
}

/** The reader a request speaks for, once the wallet confirms that a revocable credential is still live. */
export async function liveCredential(c: Context<AppEnv>): Promise<Presented | null> {
  const presented = await presentedCredential(c);
  if (!presented) return null;
  const grant = grantOf(presented.credential);
  if (grant && !(await walletOf(c.env, presented.credential.readerId).grantActive(grant))) return null;
  // Every read of the reader's own wallet comes through here: it sees what they just viewed from a lease.
  await reportLeases(presented.credential.readerId);
  return presented;
}

/**
 * Whether this credential may change the wallet (settings, top-ups, withdrawals, tokens)
 * here. With a wallet host, only there, or by a reader token sent as a bearer (an agent's
 * own); a publisher host's cookie and a spend token can only view and pay.
 */
export function mayManageWallet(c: Context<AppEnv>, presented: Presented): boolean {
  const { credential, via } = presented;
  if (credential.kind === 'spend' || credential.kind === 'named') return false;
  if (!hasWalletHost(c.env)) return true;
  if (via === 'bearer') return true;
  return hostKindOf(c.env, c.req.url) === 'wallet';
}

/**
 * The reader whose wallet this request may change (see mayManageWallet), or null: every
 * page and form that changes settings, money, passkeys, connections or tokens asks this,
 * so a spend token or a named token never reaches them.
 */
export async function walletOwnerOf(c: Context<AppEnv>): Promise<string | null> {
  const presented = await liveCredential(c);
  return presented && mayManageWallet(c, presented) ? presented.credential.readerId : null;
}
