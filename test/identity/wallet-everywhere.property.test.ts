import { abortAllDurableObjects, evictDurableObject, reset, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, expect, it } from 'vitest';
import { call, newReader, readToEnd, topUp, type Reader } from '../support/paywall';
import { codeFor, get, newWallet, NEWS, OTHER, twoPublishers, WALLET } from './support';

afterEach(() => reset());

const SITES = [NEWS, OTHER] as const;
type Site = (typeof SITES)[number];

type Action =
  | { kind: 'connect'; site: Site; merge: number | null }
  | { kind: 'view'; site: Site; path: string; cookie: 'latest' | 'revoked' }
  | { kind: 'disconnect'; site: Site }
  | { kind: 'replayCode' }
  | { kind: 'codeElsewhere'; site: Site }
  | { kind: 'expiredCode'; site: Site }
  | { kind: 'topUpOld'; old: number; amount: number }
  | { kind: 'evict' }
  | { kind: 'abortAll' };

const site = fc.constantFrom(...SITES);
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('connect' as const), site, merge: fc.option(fc.nat(1), { nil: null }) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('view' as const),
      site,
      path: fc.constantFrom('/articles/a', '/articles/b', '/premium/x', '/premium/y', '/free'),
      cookie: fc.constantFrom('latest' as const, 'revoked' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), site }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replayCode' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('codeElsewhere' as const), site }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expiredCode' as const), site }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('topUpOld' as const), old: fc.nat(1), amount: fc.integer({ min: 1, max: 20_000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('evict' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abortAll' as const) }) },
);

const walletStub = (readerId: string) => env.WALLET.get(env.WALLET.idFromName(readerId));

it('connects, views on two publishers, merges of old cookie wallets, disconnects, replayed and foreign codes, evictions and aborts conserve money; a revoked cookie never pays', async () => {
  await twoPublishers();
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 16 }), async (actions) => {
      const { session, readerId } = await newWallet(200_000);
      const olds: Reader[] = [await newReader(30_000), await newReader(0)];
      let toppedUp = 200_000 + 30_000;
      let charged = 0;
      const live: Partial<Record<Site, string>> = {};
      const revoked: string[] = [];
      const usedCodes: string[] = [];

      for (const a of actions) {
        switch (a.kind) {
          case 'connect': {
            const { url } = await codeFor(session, a.site);
            const oldCookie = a.merge === null ? null : `paywall_token=${olds[a.merge]!.token}`;
            const res = await get(url.pathname + url.search, a.site, oldCookie);
            expect(res.status).toBe(303);
            usedCodes.push(`${url.pathname + url.search}#${a.site}`);
            const cookie = res.headers
              .getSetCookie()
              .find((c) => c.startsWith('paywall_token='))!
              .split(';')[0]!;
            live[a.site] = cookie;
            break;
          }
          case 'view': {
            const cookie = a.cookie === 'latest' ? live[a.site] : revoked.find((c) => c.length > 0);
            if (!cookie) break;
            const res = await readToEnd(await call(a.path, { headers: { accept: 'application/json', cookie } }, a.site));
            const paid = Number(res.headers.get('paywall-charged-micros') ?? 0);
            if (a.cookie === 'revoked' && a.path !== '/free') {
              // A revoked cookie never pays again, on any host.
              expect(res.status).toBe(402);
              expect(paid).toBe(0);
            }
            if (res.status === 200) charged += paid;
            break;
          }
          case 'disconnect': {
            const form = new URLSearchParams({ host: a.site }).toString();
            const res = await call(
              '/__paywall/account/disconnect',
              {
                method: 'POST',
                redirect: 'manual',
                headers: { cookie: session, origin: `http://${WALLET}`, 'content-type': 'application/x-www-form-urlencoded' },
                body: form,
              },
              WALLET,
            );
            expect(res.status).toBe(303);
            if (live[a.site]) revoked.push(live[a.site]!);
            delete live[a.site];
            break;
          }
          case 'replayCode': {
            const last = usedCodes.at(-1);
            if (!last) break;
            const [pathAndQuery, host] = last.split('#') as [string, string];
            expect((await get(pathAndQuery, host)).status).toBe(400);
            break;
          }
          case 'codeElsewhere': {
            const { url } = await codeFor(session, a.site);
            const elsewhere = a.site === NEWS ? OTHER : NEWS;
            expect((await get(url.pathname + url.search, elsewhere)).status).toBe(400);
            // Burnt by the attempt: not even its own host takes it now.
            expect((await get(url.pathname + url.search, a.site)).status).toBe(400);
            break;
          }
          case 'expiredCode': {
            const { url } = await codeFor(session, a.site);
            await runInDurableObject(walletStub(readerId), (_o, state) => {
              state.storage.sql.exec('UPDATE connect_codes SET expires_at = ? WHERE used_at IS NULL', Date.now() - 1);
            });
            expect((await get(url.pathname + url.search, a.site)).status).toBe(400);
            break;
          }
          case 'topUpOld':
            await topUp(olds[a.old]!, a.amount);
            toppedUp += a.amount;
            break;
          case 'evict': {
            const stub = walletStub(readerId);
            await stub.exists();
            await evictDurableObject(stub);
            break;
          }
          case 'abortAll':
            await abortAllDurableObjects();
            break;
        }
      }

      let balances = (await walletStub(readerId).summary()).balanceMicros;
      for (const old of olds) balances += (await walletStub(old.readerId).summary()).balanceMicros;
      const pending = [readerId, ...olds.map((o) => o.readerId)].map((id) => walletStub(id).pendingTransfers(0));
      const inFlight = (await Promise.all(pending)).flat().reduce((sum, t) => sum + t.amountMicros, 0);
      expect(balances + inFlight).toBe(toppedUp - charged);
    }),
    { numRuns: 25 },
  );
});
