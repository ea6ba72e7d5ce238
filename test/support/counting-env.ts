/**
 * Billable operations, counted where they happen: at the bindings. Cloudflare bills a KV
 * read per key read, a KV write per key written, and a Durable Object request per RPC
 * method call (or fetch) on a stub, so that is exactly what is counted here.
 */
export type OpCounts = {
  kvReads: number;
  kvWrites: number;
  kvDeletes: number;
  kvLists: number;
  doRequests: number;
  /** Durable Object requests per binding name (WALLET, and whatever namespaces are added later). */
  doRequestsByBinding: Record<string, number>;
};

export function newOpCounts(): OpCounts {
  return { kvReads: 0, kvWrites: 0, kvDeletes: 0, kvLists: 0, doRequests: 0, doRequestsByBinding: {} };
}

export function diffCounts(after: OpCounts, before: OpCounts): OpCounts {
  const byBinding: Record<string, number> = {};
  for (const [name, n] of Object.entries(after.doRequestsByBinding)) byBinding[name] = n - (before.doRequestsByBinding[name] ?? 0);
  return {
    doRequestsByBinding: byBinding,
    kvReads: after.kvReads - before.kvReads,
    kvWrites: after.kvWrites - before.kvWrites,
    kvDeletes: after.kvDeletes - before.kvDeletes,
    kvLists: after.kvLists - before.kvLists,
    doRequests: after.doRequests - before.doRequests,
  };
}

type AnyFn = (...args: unknown[]) => unknown;

function isKvNamespace(value: unknown): value is KVNamespace {
  const v = value as Partial<KVNamespace> | null;
  return typeof v?.getWithMetadata === 'function' && typeof v.put === 'function' && typeof v.list === 'function';
}

function isDurableObjectNamespace(value: unknown): value is DurableObjectNamespace {
  const v = value as Partial<DurableObjectNamespace> | null;
  return typeof v?.idFromName === 'function' && typeof v.get === 'function';
}

function countedKv(kv: KVNamespace, counts: OpCounts): KVNamespace {
  return new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as AnyFn;
      return (...args: unknown[]) => {
        const keys = Array.isArray(args[0]) ? args[0].length : 1;
        if (prop === 'get' || prop === 'getWithMetadata') counts.kvReads += keys;
        else if (prop === 'put') counts.kvWrites += 1;
        else if (prop === 'delete') counts.kvDeletes += 1;
        else if (prop === 'list') counts.kvLists += 1;
        return Reflect.apply(fn, target, args);
      };
    },
  });
}

function countedStub<T extends object>(stub: T, counts: OpCounts, binding: string): T {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function' || typeof prop === 'symbol') return value;
      const fn = value as AnyFn;
      return (...args: unknown[]) => {
        counts.doRequests += 1;
        counts.doRequestsByBinding[binding] = (counts.doRequestsByBinding[binding] ?? 0) + 1;
        return Reflect.apply(fn, target, args);
      };
    },
  });
}

function countedNamespace(ns: DurableObjectNamespace, counts: OpCounts, binding: string): DurableObjectNamespace {
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as AnyFn;
      if (prop === 'get' || prop === 'getByName') {
        return (...args: unknown[]) => countedStub(Reflect.apply(fn, target, args) as object, counts, binding);
      }
      return fn.bind(target);
    },
  });
}

/**
 * The same env with every KV namespace and Durable Object namespace counting its billable
 * calls into `counts`. Bindings are recognised by shape, so ones added later are counted too.
 */
export function countingEnv<E extends object>(env: E, counts: OpCounts): E {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(env, {
    get(target, prop) {
      if (wrapped.has(prop)) return wrapped.get(prop);
      const value = Reflect.get(target, prop) as unknown;
      let out = value;
      if (isKvNamespace(value)) out = countedKv(value, counts);
      else if (isDurableObjectNamespace(value)) out = countedNamespace(value, counts, String(prop));
      wrapped.set(prop, out);
      return out;
    },
  });
}
