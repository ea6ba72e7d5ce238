import { expect } from 'vitest';
import { call, ledgerOf, putSite, siteDoc, type Reader } from './paywall';

/** The standard rules, and a few that only the security tests need. */
export const SECURITY_RULES = [
  { pattern: '/articles/:slug', priceMicros: 2500, reviewWindowSeconds: 3600 },
  { pattern: '/premium/*', priceMicros: 10000 },
  { pattern: '/premium.html', priceMicros: 10000 },
  { pattern: '/status/:code/paid', priceMicros: 1000 },
  { pattern: '/slow/paid', priceMicros: 1000 },
  { pattern: '/late/paid', priceMicros: 1000 },
  { pattern: '/reset/paid', priceMicros: 1000 },
  { pattern: '/broken-body/paid', priceMicros: 1000 },
  { pattern: '/drip/paid', priceMicros: 1000 },
  { pattern: '/validators/paid', priceMicros: 1000 },
  { pattern: '/*', priceMicros: 0 },
];

export async function useSecuritySite(): Promise<void> {
  const res = await putSite(siteDoc(SECURITY_RULES));
  expect(res.status).toBe(200);
}

/** What the test origin received, as it echoes it. */
export type Echo = { method: string; path: string; headers: Record<string, string | undefined> };

export async function echoOf(res: Response): Promise<Echo> {
  expect(res.headers.get('content-type')).toContain('application/json');
  const echo = await res.json<Echo>();
  expect(echo.path, 'the answer is the origin echo').toBeTypeOf('string');
  return echo;
}

export function pathOf(echo: Echo): string {
  return echo.path.split('?')[0]!;
}

export function chargedOf(res: Response): number {
  return Number(res.headers.get('paywall-charged-micros') ?? 0);
}

/** Money is conserved: every micro the reader ever received is either held or was charged. */
export async function expectConserved(reader: Reader, balanceMicros?: number): Promise<void> {
  const entries = await ledgerOf(reader);
  const sum = (type: string) => entries.filter((e) => e.type === type).reduce((s, e) => s + e.amountMicros, 0);
  const balance = entries[0]?.balanceAfterMicros ?? 0;
  const me = await call('/__paywall/api/me', { headers: reader.auth });
  const { balanceMicros: reported } = await me.json<{ balanceMicros: number }>();
  expect(reported).toBe(balance);
  expect(balance + sum('charge') - sum('refund')).toBe(sum('topup') + sum('credit'));
  if (balanceMicros !== undefined) expect(balance).toBe(balanceMicros);
}

/** A request whose Worker-made answer is a JSON error with this code. */
export async function expectError(res: Response, status: number, error: string): Promise<void> {
  expect(res.status).toBe(status);
  const body = await res.json<{ error: string }>();
  expect(body.error).toBe(error);
}
