import { reset } from 'cloudflare:test';
import fc from 'fast-check';
import { afterEach, expect, it } from 'vitest';
import { ADMIN, adminCall, balanceOf, json, newReader, putSite, siteDoc, type Reader } from '../support/paywall';
import { createPublisher, keyAuth } from '../support/publishers';

afterEach(() => reset());

/**
 * Random publishers, hosts and keys, then random admin calls made with random keys
 * (revoked ones included) against random hosts and publishers. The model says which
 * calls a key may make: its own hosts' sites and usage, its own publisher record and
 * keys. Every call outside that is refused (401 for a revoked key, 403 otherwise) and
 * leaves every site, publisher, key, audit entry and balance as it was; every call
 * inside it reads only its own publisher's data.
 */

type Key = { publisher: number; apiKey: string; keyId: string; revoked: boolean };
type World = { publisherIds: string[]; hostsOf: string[][]; keys: Key[]; unowned: string; reader: Reader; auditIds: number[] };

const op = fc.oneof(
  fc.record({ kind: fc.constantFrom('getSite', 'putSite', 'deleteSite', 'usage', 'originSecret', 'auditByHost'), host: fc.nat() }),
  fc.record({ kind: fc.constantFrom('getPublisher', 'listKeys', 'addKey'), publisher: fc.nat() }),
  fc.record({ kind: fc.constant('revokeKey'), publisher: fc.nat(), key: fc.nat() }),
  fc.record({ kind: fc.constantFrom('credit', 'createPublisher', 'listPublishers', 'auditAll') }),
  fc.record({ kind: fc.constant('auditGet'), entry: fc.nat() }),
);
type Op = { kind: string; host?: number; publisher?: number; key?: number; entry?: number };

function allHosts(w: World): string[] {
  return [...w.hostsOf.flat(), w.unowned];
}

/** What the operator sees: every site, every publisher and key (but not when keys were last used), the audit log, a balance. */
async function snapshot(w: World): Promise<string> {
  const parts: unknown[] = [];
  for (const host of allHosts(w)) parts.push(host, await (await adminCall(`/__paywall/api/admin/sites/${host}`, { headers: ADMIN })).text());
  const { publishers } = await (await adminCall('/__paywall/api/admin/publishers', { headers: ADMIN })).json<{ publishers: { keys: { lastUsedAt?: unknown }[] }[] }>();
  for (const p of publishers) for (const k of p.keys) delete k.lastUsedAt;
  parts.push(publishers);
  parts.push(await (await adminCall('/__paywall/api/admin/audit?limit=100', { headers: ADMIN })).json());
  parts.push(await balanceOf(w.reader));
  return JSON.stringify(parts);
}

function request(w: World, o: Op): { method: string; path: string; body?: unknown; host?: string; publisher?: number } {
  const hosts = allHosts(w);
  const host = hosts[(o.host ?? 0) % hosts.length]!;
  const p = (o.publisher ?? 0) % w.publisherIds.length;
  const pid = w.publisherIds[p]!;
  switch (o.kind) {
    case 'getSite': return { method: 'GET', path: `/__paywall/api/admin/sites/${host}`, host };
    case 'putSite': return { method: 'PUT', path: `/__paywall/api/admin/sites/${host}`, body: siteDoc([{ pattern: '/*', priceMicros: 77 }], host), host };
    case 'deleteSite': return { method: 'DELETE', path: `/__paywall/api/admin/sites/${host}`, host };
    case 'usage': return { method: 'GET', path: `/__paywall/api/admin/usage/${host}?from=2026-01-01&to=2026-01-03`, host };
    case 'originSecret': return { method: 'GET', path: `/__paywall/api/admin/sites/${host}/origin-secret`, host };
    case 'auditByHost': return { method: 'GET', path: `/__paywall/api/admin/audit?host=${host}&limit=100`, host };
    case 'getPublisher': return { method: 'GET', path: `/__paywall/api/admin/publishers/${pid}`, publisher: p };
    case 'listKeys': return { method: 'GET', path: `/__paywall/api/admin/publishers/${pid}/keys`, publisher: p };
    case 'addKey': return { method: 'POST', path: `/__paywall/api/admin/publishers/${pid}/keys`, body: { name: 'extra' }, publisher: p };
    case 'revokeKey': {
      const ofP = w.keys.filter((k) => k.publisher === p);
      const key = ofP[(o.key ?? 0) % ofP.length]!;
      return { method: 'DELETE', path: `/__paywall/api/admin/publishers/${pid}/keys/${key.keyId}`, publisher: p };
    }
    case 'credit': return { method: 'POST', path: `/__paywall/api/admin/readers/${w.reader.readerId}/credit`, body: { amountMicros: 5, reason: 'x' } };
    case 'createPublisher': return { method: 'POST', path: '/__paywall/api/admin/publishers', body: { name: 'Sneaky', hosts: [`sneaky-${Math.random().toString(36).slice(2)}.test`] } };
    case 'listPublishers': return { method: 'GET', path: '/__paywall/api/admin/publishers' };
    case 'auditAll': return { method: 'GET', path: '/__paywall/api/admin/audit?limit=100' };
    default: {
      const id = w.auditIds.length ? w.auditIds[(o.entry ?? 0) % w.auditIds.length]! : 1;
      return { method: 'GET', path: `/__paywall/api/admin/audit/${id}` };
    }
  }
}

/** Whether the model lets publisher `me` make the call. Audit entries are judged by their content below. */
function allowed(w: World, me: number, r: ReturnType<typeof request>, o: Op): boolean {
  if (r.host !== undefined) return w.hostsOf[me]!.includes(r.host);
  if (r.publisher !== undefined) return r.publisher === me;
  return o.kind === 'auditAll' || o.kind === 'auditGet';
}

type Entry = { id: number; host: string | null; publisherId?: string | null };

it('property: a publisher key never reads or changes another publisher\u2019s data, and every refusal changes nothing', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 3 }),
      fc.array(fc.record({ actor: fc.nat(), op }), { minLength: 1, maxLength: 10 }),
      async (hostCounts, calls) => {
        run++;
        const w: World = { publisherIds: [], hostsOf: [], keys: [], unowned: `free-${run}.test`, reader: await newReader(), auditIds: [] };
        for (const [p, n] of hostCounts.entries()) {
          const hosts = Array.from({ length: n }, (_, i) => `p${p}h${i}-${run}.test`);
          const made = await createPublisher(`Publisher ${p}`, hosts);
          w.publisherIds.push(made.publisherId);
          w.hostsOf.push(hosts);
          w.keys.push({ publisher: p, apiKey: made.apiKey, keyId: made.keyId, revoked: false });
          await putSite(siteDoc([{ pattern: '/*', priceMicros: p }], hosts[0]), hosts[0]);
        }
        await putSite(siteDoc([], w.unowned), w.unowned);

        for (const { actor, op: o } of calls) {
          const key = w.keys[actor % w.keys.length]!;
          const me = key.publisher;
          let audit: { entries: Entry[] } = { entries: [] };
          if (o.kind === 'auditGet') {
            audit = await (await adminCall('/__paywall/api/admin/audit?limit=100', { headers: ADMIN })).json<{ entries: Entry[] }>();
            w.auditIds = audit.entries.map((e) => e.id);
          }
          const r = request(w, o);
          // Only a call the model refuses must leave everything as it was.
          const mayBeRefused = key.revoked || o.kind === 'auditGet' || !allowed(w, me, r, o);
          const before = mayBeRefused ? await snapshot(w) : '';
          const init: RequestInit = { method: r.method, headers: { ...keyAuth(key.apiKey), 'content-type': 'application/json' } };
          if (r.body !== undefined) init.body = JSON.stringify(r.body);
          const res = await adminCall(r.path, init);
          const text = await res.text();
          const what = `${o.kind} ${r.method} ${r.path} by publisher ${me}${key.revoked ? ' (revoked key)' : ''}: ${res.status} ${text.slice(0, 200)}`;

          const mine = (e: Entry) => (e.host !== null && w.hostsOf[me]!.includes(e.host)) || e.publisherId === w.publisherIds[me];
          if (key.revoked) {
            expect(res.status, what).toBe(401);
          } else if (o.kind === 'auditGet') {
            const entry = audit.entries.find((e) => r.path.endsWith(`/${e.id}`));
            expect(res.status, what).toBe(entry && mine(entry) ? 200 : 403);
          } else if (!allowed(w, me, r, o)) {
            expect(res.status, what).toBe(403);
          } else {
            expect([200, 201, 204, 404], what).toContain(res.status);
            if (o.kind === 'auditAll' || o.kind === 'auditByHost') {
              const { entries } = JSON.parse(text) as { entries: Entry[] };
              for (const e of entries) expect(mine(e), `${what}: entry ${e.id} of ${e.host}`).toBe(true);
            }
            if (o.kind === 'getPublisher' || o.kind === 'listKeys') expect(text, what).not.toMatch(/pk_[A-Za-z0-9_-]{43}/);
            if (o.kind === 'revokeKey' && res.status === 200) {
              const revokedId = (JSON.parse(text) as { keyId: string }).keyId;
              for (const k of w.keys) if (k.keyId === revokedId) k.revoked = true;
            }
            if (o.kind === 'addKey' && res.status === 201) {
              const made = JSON.parse(text) as { apiKey: string; keyId: string };
              w.keys.push({ publisher: me, apiKey: made.apiKey, keyId: made.keyId, revoked: false });
            }
            continue;
          }
          expect(await snapshot(w), `${what} changed something`).toBe(before);
        }
      },
    ),
    { numRuns: 20 },
  );
}, 180_000);
