// The platform's floor, for comparison: a pass-through; the same pass-through with two
// empty RPC calls to a SQLite-backed Durable Object, one before the origin and one after
// (what a design that holds and then commits pays); and with one, sent beside the origin
// fetch (what a view charged at once pays). Nothing of the paywall's own code runs here.
import { DurableObject } from 'cloudflare:workers';

export class Noop extends DurableObject {
  hold() {
    return { ok: true };
  }
  commit() {
    return { ok: true };
  }
  charge() {
    return { ok: true };
  }
}

/** @typedef {{ NOOP: DurableObjectNamespace<Noop>; ORIGIN: string }} FloorEnv */

export default {
  /** @param {Request} request @param {FloorEnv} env */
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith('/rpc/')) {
      const stub = env.NOOP.get(env.NOOP.idFromName(request.headers.get('authorization') ?? 'anon'));
      await stub.hold();
      const origin = await fetch(env.ORIGIN + url.pathname);
      await stub.commit();
      return new Response(origin.body, origin);
    }
    if (url.pathname.startsWith('/rpc1/')) {
      const stub = env.NOOP.get(env.NOOP.idFromName(request.headers.get('authorization') ?? 'anon'));
      const [, origin] = await Promise.all([stub.charge(), fetch(env.ORIGIN + url.pathname)]);
      return new Response(origin.body, origin);
    }
    const origin = await fetch(env.ORIGIN + url.pathname);
    return new Response(origin.body, origin);
  },
};
