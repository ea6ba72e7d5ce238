import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, expect, it } from 'vitest';
import { publisherRegistry } from '../../src/publishers/publisher-stub';
import { CONSOLE, postForm, SAME_ORIGIN, signIn } from '../support/admin-console';
import { invite, join } from '../support/console-people';
import { ADMIN, adminCall, balanceOf, newReader, putSite, siteDoc, type Reader } from '../support/paywall';
import { createPublisher, keyAuth } from '../support/publishers';

afterEach(() => reset());

/**
 * Random publishers, hosts, API keys and people (an owner and a member each, signed in
 * with passkeys), then random admin calls made by a random actor: a key (revoked ones
 * included) or a person (removed ones included), against random hosts and publishers.
 * The calls are the admin API's (sites, usage, audit, publisher records and keys, host
 * claims and their proof) and the console's people forms (invite, revoke an invite,
 * remove a person). The model says which calls an actor may make: its own publisher's
 * hosts, record, keys, claims and, for an owner, people. A call outside that is refused
 * (401 for a revoked key or a removed person, 403 or 404 otherwise) and leaves every
 * site, publisher, key, person, invite, claim, audit entry and balance as it was; a call
 * inside it reads only its own publisher's data and changes no other publisher's.
 */

type Key = { kind: 'key'; publisher: number; apiKey: string; keyId: string; revoked: boolean };
type PersonActor = { kind: 'person'; publisher: number; cookie: string; personId: string; role: 'owner' | 'member'; removed: boolean };
type Actor = Key | PersonActor;
type World = {
  publisherIds: string[];
  hostsOf: string[][];
  /** The one host each publisher may claim and prove in this run (nobody owns it at first). */
  claimable: string[];
  actors: Actor[];
  unowned: string;
  reader: Reader;
  auditIds: number[];
};

const op = fc.oneof(
  fc.record({ kind: fc.constantFrom('getSite', 'putSite', 'deleteSite', 'usage', 'originSecret', 'auditByHost'), host: fc.nat() }),
  fc.record({ kind: fc.constantFrom('getPublisher', 'listKeys', 'addKey'), publisher: fc.nat() }),
  fc.record({ kind: fc.constantFrom('listHosts', 'claimHost', 'verifyHost'), publisher: fc.nat() }),
  fc.record({ kind: fc.constantFrom('invitePerson', 'revokeInvite'), publisher: fc.nat() }),
  fc.record({ kind: fc.constant('revokeKey'), publisher: fc.nat(), key: fc.nat() }),
  fc.record({ kind: fc.constant('removePerson'), publisher: fc.nat(), person: fc.nat() }),
  fc.record({ kind: fc.constantFrom('credit', 'createPublisher', 'listPublishers', 'auditAll') }),
  fc.record({ kind: fc.constant('auditGet'), entry: fc.nat() }),
);
type Op = { kind: string; host?: number; publisher?: number; key?: number; person?: number; entry?: number };

function allHosts(w: World): string[] {
  return [...new Set([...w.hostsOf.flat(), ...w.claimable, w.unowned])];
}

const withoutLastUse = <T extends { lastUsedAt?: unknown }>(rows: T[]) => rows.map(({ lastUsedAt: _, ...rest }) => rest);

/** One publisher's data as the operator sees it: its sites, record and keys, people, invites and claims. */
async function sliceOf(w: World, p: number): Promise<string> {
  const registry = publisherRegistry(env);
  const pid = w.publisherIds[p]!;
  const parts: unknown[] = [];
  for (const host of [...w.hostsOf[p]!, w.claimable[p]!])
    parts.push(host, await (await adminCall(`/__paywall/api/admin/sites/${host}`, { headers: ADMIN })).text());
  const publisher = (await registry.get(pid))!;
  parts.push(
    { ...publisher, keys: withoutLastUse(publisher.keys) },
    await registry.people(pid),
    await registry.invites(pid),
    await registry.claims(pid),
  );
  return JSON.stringify(parts);
}

/** Everything: each publisher's slice, the unowned host's site, the publishers list, the audit log, a balance. */
async function snapshot(w: World): Promise<{ slices: string[]; rest: string }> {
  const slices: string[] = [];
  for (let p = 0; p < w.publisherIds.length; p++) slices.push(await sliceOf(w, p));
  const { publishers } = await (await adminCall('/__paywall/api/admin/publishers', { headers: ADMIN })).json<{
    publishers: { publisherId: string }[];
  }>();
  const rest = [
    await (await adminCall(`/__paywall/api/admin/sites/${w.unowned}`, { headers: ADMIN })).text(),
    publishers.map((p) => p.publisherId),
    await (await adminCall('/__paywall/api/admin/audit?limit=100', { headers: ADMIN })).json(),
    await balanceOf(w.reader),
  ];
  return { slices, rest: JSON.stringify(rest) };
}

type Req = {
  method: string;
  path: string;
  body?: unknown;
  form?: Record<string, string>;
  host?: string;
  publisher?: number;
  console?: boolean;
};

async function request(w: World, o: Op): Promise<Req> {
  const hosts = allHosts(w);
  const host = hosts[(o.host ?? 0) % hosts.length]!;
  const p = (o.publisher ?? 0) % w.publisherIds.length;
  const pid = w.publisherIds[p]!;
  const api = '/__paywall/api/admin';
  switch (o.kind) {
    case 'getSite':
      return { method: 'GET', path: `${api}/sites/${host}`, host };
    case 'putSite':
      return { method: 'PUT', path: `${api}/sites/${host}`, body: siteDoc([{ pattern: '/*', priceMicros: 77 }], host), host };
    case 'deleteSite':
      return { method: 'DELETE', path: `${api}/sites/${host}`, host };
    case 'usage':
      return { method: 'GET', path: `${api}/usage/${host}?from=2026-01-01&to=2026-01-03`, host };
    case 'originSecret':
      return { method: 'GET', path: `${api}/sites/${host}/origin-secret`, host };
    case 'auditByHost':
      return { method: 'GET', path: `${api}/audit?host=${host}&limit=100`, host };
    case 'getPublisher':
      return { method: 'GET', path: `${api}/publishers/${pid}`, publisher: p };
    case 'listKeys':
      return { method: 'GET', path: `${api}/publishers/${pid}/keys`, publisher: p };
    case 'addKey':
      return { method: 'POST', path: `${api}/publishers/${pid}/keys`, body: { name: 'extra' }, publisher: p };
    case 'listHosts':
      return { method: 'GET', path: `${api}/publishers/${pid}/hosts`, publisher: p };
    case 'claimHost':
      return { method: 'POST', path: `${api}/publishers/${pid}/hosts`, body: { host: w.claimable[p] }, publisher: p };
    case 'verifyHost': {
      // The origin serves the claim's true token: only scope decides.
      const claim = await publisherRegistry(env).claimOf(pid, w.claimable[p]!);
      const origin = `${env.TEST_ORIGIN}/serves-token/${claim?.token ?? 'pv_none'}`;
      return { method: 'POST', path: `${api}/publishers/${pid}/hosts/${w.claimable[p]}/verify`, body: { origin }, publisher: p };
    }
    case 'revokeKey': {
      const ofP = w.actors.filter((a): a is Key => a.kind === 'key' && a.publisher === p);
      const key = ofP[(o.key ?? 0) % ofP.length]!;
      return { method: 'DELETE', path: `${api}/publishers/${pid}/keys/${key.keyId}`, publisher: p };
    }
    case 'invitePerson':
      return {
        method: 'POST',
        path: `${CONSOLE}/publishers/${pid}/invites`,
        form: { name: 'Newcomer', role: 'member' },
        publisher: p,
        console: true,
      };
    case 'revokeInvite': {
      const pending = (await publisherRegistry(env).invites(pid)).find((i) => i.usedAt === null && i.revokedAt === null);
      return {
        method: 'POST',
        path: `${CONSOLE}/publishers/${pid}/invites/${pending?.inviteId ?? 'ivt_none'}/revoke`,
        form: {},
        publisher: p,
        console: true,
      };
    }
    case 'removePerson': {
      const ofP = w.actors.filter((a): a is PersonActor => a.kind === 'person' && a.publisher === p);
      const target = ofP[(o.person ?? 0) % ofP.length]!;
      return {
        method: 'POST',
        path: `${CONSOLE}/publishers/${pid}/people/${target.personId}/remove`,
        form: {},
        publisher: p,
        console: true,
      };
    }
    case 'credit':
      return { method: 'POST', path: `${api}/readers/${w.reader.readerId}/credit`, body: { amountMicros: 5, reason: 'x' } };
    case 'createPublisher':
      return {
        method: 'POST',
        path: `${api}/publishers`,
        body: { name: 'Sneaky', hosts: [`sneaky-${Math.random().toString(36).slice(2)}.test`] },
      };
    case 'listPublishers':
      return { method: 'GET', path: `${api}/publishers` };
    case 'auditAll':
      return { method: 'GET', path: `${api}/audit?limit=100` };
    default: {
      const id = w.auditIds.length ? w.auditIds[(o.entry ?? 0) % w.auditIds.length]! : 1;
      return { method: 'GET', path: `${api}/audit/${id}` };
    }
  }
}

/** The status the model expects when the actor may not make the call, or null when it may. */
function refusal(w: World, a: Actor, r: Req, o: Op): number | null {
  const me = a.publisher;
  if (a.kind === 'key' ? a.revoked : a.removed) return 401;
  if (r.console) {
    // The console's forms take a console session, never a key; another publisher's page is not there.
    if (a.kind === 'key') return 401;
    if (r.publisher !== me) return 404;
    if (a.role !== 'owner') return 403;
    if (o.kind === 'removePerson' && r.path.includes(`/people/${a.personId}/`)) return 403;
    return null;
  }
  if (r.host !== undefined) return w.hostsOf[me]!.includes(r.host) ? null : 403;
  if (r.publisher !== undefined) return r.publisher === me ? null : 403;
  return o.kind === 'auditAll' || o.kind === 'auditGet' ? null : 403;
}

type Entry = { id: number; host: string | null; publisherId?: string | null };

it('property: a person or key of one publisher never reads or changes another publisher\u2019s data, and every refusal changes nothing', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 2, maxLength: 3 }),
      fc.array(fc.record({ actor: fc.nat(), op }), { minLength: 4, maxLength: 14 }),
      async (hostCounts, calls) => {
        run++;
        const operator = await signIn('test-admin-token', `198.19.1.${run}`);
        const w: World = {
          publisherIds: [],
          hostsOf: [],
          claimable: [],
          actors: [],
          unowned: `free-${run}.test`,
          reader: await newReader(),
          auditIds: [],
        };
        for (const [p, n] of hostCounts.entries()) {
          const hosts = Array.from({ length: n }, (_, i) => `p${p}h${i}-${run}.test`);
          const made = await createPublisher(`Publisher ${p}`, hosts);
          w.publisherIds.push(made.publisherId);
          w.hostsOf.push(hosts);
          w.claimable.push(`new-p${p}-${run}.test`);
          w.actors.push({ kind: 'key', publisher: p, apiKey: made.apiKey, keyId: made.keyId, revoked: false });
          for (const role of ['owner', 'member'] as const) {
            const joined = await join(await invite(operator, made.publisherId, `${role} ${p}`, role));
            expect(joined.status).toBe(200);
            const personId = (await publisherRegistry(env).people(made.publisherId)).find((x) => x.name === `${role} ${p}`)!.personId;
            w.actors.push({ kind: 'person', publisher: p, cookie: joined.cookie!, personId, role, removed: false });
          }
          await invite(operator, made.publisherId, `pending ${p}`);
          // A claim waiting for its proof, so that proving (or trying another's) is often in reach.
          await adminCall(`/__paywall/api/admin/publishers/${made.publisherId}/hosts`, {
            method: 'POST',
            headers: { ...keyAuth(made.apiKey), 'content-type': 'application/json' },
            body: JSON.stringify({ host: `new-p${p}-${run}.test` }),
          });
          await putSite(siteDoc([{ pattern: '/*', priceMicros: p }], hosts[0]), hosts[0]);
        }
        await putSite(siteDoc([], w.unowned), w.unowned);

        for (const { actor, op: o } of calls) {
          const a = w.actors[actor % w.actors.length]!;
          const me = a.publisher;
          let audit: { entries: Entry[] } = { entries: [] };
          if (o.kind === 'auditGet') {
            audit = await (await adminCall('/__paywall/api/admin/audit?limit=100', { headers: ADMIN })).json<{ entries: Entry[] }>();
            w.auditIds = audit.entries.map((e) => e.id);
          }
          const r = await request(w, o);
          const refused = refusal(w, a, r, o);
          const before = await snapshot(w);
          const auth: Record<string, string> = a.kind === 'key' ? keyAuth(a.apiKey) : { cookie: a.cookie, ...SAME_ORIGIN };
          let res: Response;
          if (r.form) res = await postForm(r.path, r.form, auth);
          else {
            const init: RequestInit = { method: r.method, headers: { ...auth, 'content-type': 'application/json' }, redirect: 'manual' };
            if (r.body !== undefined) init.body = JSON.stringify(r.body);
            res = await adminCall(r.path, init);
          }
          const text = await res.text();
          const by =
            a.kind === 'key'
              ? `key of publisher ${me}${a.revoked ? ' (revoked)' : ''}`
              : `${a.role} of publisher ${me}${a.removed ? ' (removed)' : ''}`;
          const what = `${o.kind} ${r.method} ${r.path} by ${by}: ${res.status} ${text.slice(0, 200)}`;
          const after = await snapshot(w);

          const mine = (e: Entry) => (e.host !== null && w.hostsOf[me]!.includes(e.host)) || e.publisherId === w.publisherIds[me];
          if (o.kind === 'auditGet' && refused === null) {
            const entry = audit.entries.find((e) => r.path.endsWith(`/${e.id}`));
            expect(res.status, what).toBe(entry && mine(entry) ? 200 : 403);
          } else if (refused !== null) {
            expect(res.status, what).toBe(refused);
          } else {
            expect([200, 201, 202, 204, 303, 404, 409], what).toContain(res.status);
            if (o.kind === 'auditAll' || o.kind === 'auditByHost') {
              const { entries } = JSON.parse(text) as { entries: Entry[] };
              for (const e of entries) expect(mine(e), `${what}: entry ${e.id} of ${e.host}`).toBe(true);
            }
            if (o.kind === 'getPublisher' || o.kind === 'listKeys') expect(text, what).not.toMatch(/pk_[A-Za-z0-9_-]{43}/);
            if (o.kind === 'listHosts') {
              const listed = JSON.parse(text) as { hosts: string[]; claims: { host: string }[] };
              expect(listed.hosts, what).toEqual([...w.hostsOf[me]!].sort());
              for (const c of listed.claims) expect(c.host, what).toBe(w.claimable[me]);
            }
            // An allowed call changes nothing of any other publisher's.
            for (let q = 0; q < w.publisherIds.length; q++)
              if (q !== me) expect(after.slices[q], `${what} changed publisher ${q}`).toBe(before.slices[q]);
            expect(await balanceOf(w.reader), what).toBe(0);
            if (o.kind === 'revokeKey' && res.status === 200) {
              const revokedId = (JSON.parse(text) as { keyId: string }).keyId;
              for (const k of w.actors) if (k.kind === 'key' && k.keyId === revokedId) k.revoked = true;
            }
            if (o.kind === 'addKey' && res.status === 201) {
              const made = JSON.parse(text) as { apiKey: string; keyId: string };
              w.actors.push({ kind: 'key', publisher: me, apiKey: made.apiKey, keyId: made.keyId, revoked: false });
            }
            if (o.kind === 'verifyHost' && res.status === 200) w.hostsOf[me]!.push(w.claimable[me]!);
            if (o.kind === 'removePerson' && res.status === 303) {
              for (const x of w.actors) if (x.kind === 'person' && r.path.includes(`/people/${x.personId}/`)) x.removed = true;
            }
            continue;
          }
          expect(after, `${what} changed something`).toEqual(before);
        }
      },
    ),
    { numRuns: 25 },
  );
}, 300_000);
