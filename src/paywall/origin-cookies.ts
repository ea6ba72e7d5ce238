import { READER_COOKIE } from '../reader/authenticate';

/**
 * The reader's token cookie belongs to the paywall alone. An origin that could set it
 * (a bug, or content an attacker controls) would sign the reader in to an account of
 * the attacker's choosing, whose top-ups the attacker then spends.
 */
export function dropPaywallCookies(headers: Headers): void {
  const cookies = headers.getSetCookie();
  const kept = cookies.filter((cookie) => cookie.split('=', 1)[0]!.trim() !== READER_COOKIE);
  if (kept.length === cookies.length) return;
  headers.delete('set-cookie');
  for (const cookie of kept) headers.append('set-cookie', cookie);
}
