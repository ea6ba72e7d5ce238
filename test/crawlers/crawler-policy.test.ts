import { reset } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { usdForCrawlerHeaders } from '../../src/money';
import { ADMIN, adminCall, balanceOf, HOST, json, newReader, putSite, readToEnd, siteDoc, type Reader } from '../support/paywall';
import { linkKey, newCrawlerKey, signedRequest, type CrawlerKey } from '../support/crawler';

afterEach(() => reset());

type Action = { action: 'charge'; priceMicros?: number } | { action: 'allow' } | { action: 'block' };
const URL_OF = (path: string) => `http://${HOST}${path}`;
const send = async (request: Request) => readToEnd(await exports.default.fetch(request));
const MAX = { 'crawler-max-price': 'USD 1.00', accept: 'application/json' };

/** Who asks: a person (whatever headers a person's client sends), or one of the three kinds of crawler. */
type Who =
  | { kind: 'person'; score?: number; crawlerHeader: boolean }
  | { kind: 'signed' }
  | { kind: 'verified_bot'; category: string }
  | { kind: 'unidentified'; score: number };

async function ask(path: string, who: Who, reader: Reader, key: CrawlerKey): Promise<Response> {
  if (who.kind === 'signed') return send(await signedRequest(URL_OF(path), key, { headers: MAX }));
  const cf: Record<string, unknown> = {};
  if (who.kind === 'verified_bot') cf.verifiedBotCategory = who.category;
  if (who.kind === 'unidentified') cf.botManagement = { score: who.score, verifiedBot: false };
  if (who.kind === 'person' && who.score !== undefined) cf.botManagement = { score: who.score, verifiedBot: false };
  const headers: Record<string, string> = { ...reader.auth, accept: 'application/json' };
  if (who.kind !== 'person' || who.crawlerHeader) headers['crawler-max-price'] = 'USD 1.00';
  return send(new Request(URL_OF(path), { headers, cf } as RequestInit));
}

const action = (max: number) =>
  fc.oneof(
    fc.constant<Action>({ action: 'allow' }),
    fc.constant<Action>({ action: 'block' }),
    fc.constant<Action>({ action: 'charge' }),
    fc.integer({ min: 0, max }).map<Action>((priceMicros) => ({ action: 'charge', priceMicros })),
  );

/** The policy the site states for this requester, read the way the README says it is read. */
function expected(policy: Record<string, unknown>, who: Who, keyid: string): Action | null {
  const p = policy as {
    signatureAgents?: Record<string, Action>;
    signed?: Action;
    verifiedBotCategories?: Record<string, Action>;
    verifiedBots?: Action;
    unidentified?: Action;
  };
  if (who.kind === 'person') return null;
  if (who.kind === 'signed') return p.signatureAgents?.[keyid] ?? p.signed ?? { action: 'charge' };
  if (who.kind === 'verified_bot') return p.verifiedBotCategories?.[who.category] ?? p.verifiedBots ?? { action: 'charge' };
  return p.unidentified ?? { action: 'charge' };
}

describe('crawler policy per site', () => {
  it('property: every crawler identity gets exactly its site’s policy, and people are never charged a crawler price', async () => {
    const reader = await newReader(50_000_000);
    const key = await newCrawlerKey();
    expect((await linkKey(reader, { jwk: key.jwk })).status).toBe(201);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20_000 }),
        fc.record(
          {
            signatureAgents: fc.option(action(30_000), { nil: undefined }),
            signed: action(30_000),
            verifiedBotCategories: fc.option(action(30_000), { nil: undefined }),
            verifiedBots: action(30_000),
            unidentified: action(30_000),
          },
          { requiredKeys: [] },
        ),
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('person' as const),
              score: fc.option(fc.integer({ min: 30, max: 99 }), { nil: undefined }),
              crawlerHeader: fc.boolean(),
            }),
            fc.constant({ kind: 'signed' as const }),
            fc.record({ kind: fc.constant('verified_bot' as const), category: fc.constantFrom('Search Engine Crawler', 'AI Crawler') }),
            fc.record({ kind: fc.constant('unidentified' as const), score: fc.integer({ min: 1, max: 29 }) }),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        async (rulePrice, drawn, askers) => {
          const policy: Record<string, unknown> = {};
          if (drawn.signatureAgents) policy.signatureAgents = { [key.keyid]: drawn.signatureAgents };
          if (drawn.signed) policy.signed = drawn.signed;
          if (drawn.verifiedBotCategories) policy.verifiedBotCategories = { 'Search Engine Crawler': drawn.verifiedBotCategories };
          if (drawn.verifiedBots) policy.verifiedBots = drawn.verifiedBots;
          if (drawn.unidentified) policy.unidentified = drawn.unidentified;
          const put = await putSite({
            ...siteDoc([
              { pattern: '/p/*', priceMicros: rulePrice },
              { pattern: '/*', priceMicros: 0 },
            ]),
            crawlers: policy,
          });
          expect(put.status).toBe(200);
          for (const who of askers) {
            const before = await balanceOf(reader);
            const res = await ask(`/p/${n++}`, who, reader, key);
            const want = expected(policy, who, key.keyid);
            const charged = before - (await balanceOf(reader));
            if (want?.action === 'block') {
              expect(res.status, JSON.stringify(who)).toBe(403);
              expect(res.headers.get('crawler-error')).toBe('CrawlerForbidden');
              expect(charged).toBe(0);
              continue;
            }
            const price = want === null ? rulePrice : want.action === 'allow' ? 0 : (want.priceMicros ?? rulePrice);
            expect(res.status, JSON.stringify({ who, want })).toBe(200);
            expect(charged, JSON.stringify({ who, want })).toBe(price);
            if (price > 0) expect(res.headers.get('crawler-charged')).toBe(usdForCrawlerHeaders(price));
            if (want === null) expect(charged).toBe(rulePrice);
          }
        },
      ),
      { numRuns: 15 },
    );
    // Each run writes a site and signs, links and pays for up to four views; under a loaded machine that takes its time.
  }, 120_000);

  it('a blocked crawler is a 403 everywhere on the site, free paths too; the manifest stays readable and says so', async () => {
    const crawlers = { verifiedBotCategories: { 'AI Crawler': { action: 'block' } } };
    expect((await putSite({ ...siteDoc([{ pattern: '/p/*', priceMicros: 1000 }]), crawlers })).status).toBe(200);
    const bot = { cf: { verifiedBotCategory: 'AI Crawler' } } as RequestInit;
    for (const path of ['/p/x', '/free']) {
      const res = await send(new Request(URL_OF(path), bot));
      expect(res.status, path).toBe(403);
      expect(res.headers.get('crawler-error')).toBe('CrawlerForbidden');
    }
    const manifest = await send(new Request(URL_OF('/.well-known/paywall.json'), bot));
    expect(manifest.status).toBe(200);
    expect((await manifest.json<{ crawlers: unknown }>()).crawlers).toEqual(crawlers);
    // A person on the same path is served.
    expect((await send(new Request(URL_OF('/free')))).status).toBe(200);
  });

  it('a crawler let in free on a priced path gets a private answer, which no shared cache keeps for people', async () => {
    expect(
      (await putSite({ ...siteDoc([{ pattern: '/p/*', priceMicros: 1000 }]), crawlers: { verifiedBots: { action: 'allow' } } })).status,
    ).toBe(200);
    const res = await send(new Request(URL_OF('/p/x'), { cf: { verifiedBotCategory: 'Search Engine Crawler' } } as RequestInit));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(res.headers.get('crawler-charged')).toBeNull();
    const person = await send(new Request(URL_OF('/p/x'), { headers: { accept: 'application/json' } }));
    expect(person.status).toBe(402);
  });

  it('the policy is validated with the site: a bad action, a negative price or a malformed agent is a 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ unidentified: { action: 'charge', priceMicros: -1 } }, 'crawlers.unidentified.priceMicros'],
      [{ signed: { action: 'maybe' } }, 'crawlers.signed.action'],
      [{ signatureAgents: { 'ftp://x': { action: 'allow' } } }, 'crawlers.signatureAgents.ftp://x'],
      [{ verifiedBots: { action: 'allow', priceMicros: 5 } }, 'crawlers.verifiedBots'],
      [{ people: { action: 'allow' } }, 'crawlers'],
    ];
    for (const [crawlers, path] of cases) {
      const res = await adminCall(`/__paywall/api/admin/sites/${HOST}`, { ...json({ ...siteDoc([]), crawlers }, ADMIN), method: 'PUT' });
      expect(res.status, JSON.stringify(crawlers)).toBe(400);
      const body = await res.json<{ issues: { path: string }[] }>();
      expect(
        body.issues.map((i) => i.path),
        JSON.stringify(crawlers),
      ).toContain(path);
    }
  });
});
