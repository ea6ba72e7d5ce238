// The built Worker in workerd through miniflare's API, next to the naive-KV Worker.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

/** @typedef {import('miniflare').V4WorkerOptionsShape} V4WorkerOptionsShape */

export const BENCH_SECRETS = {
  TOKEN_SECRET: 'bench-token-secret-0123456789abcdef',
  ADMIN_TOKEN: 'bench-admin-token',
  STRIPE_WEBHOOK_SECRET: 'whsec_bench',
};

/**
 * Each Worker listens on its own loopback socket (`unsafeDirectSockets`), so requests
 * reach it the way they reach a deployed Worker: no miniflare entry Worker in between.
 * Bindings, Durable Object classes and vars come from wrangler.toml, so whatever the
 * project adds there (another Durable Object, another KV) is in the bench too.
 * @param {{
 *   root: string, paywallScript: string, naiveScript: string, floorScript: string, originUrl: string,
 *   naivePriceMicros: number, inspectorPort?: number, storageDir: string, vars?: Record<string, string>,
 * }} options
 */
export async function startWorkerd({
  root,
  paywallScript,
  naiveScript,
  floorScript,
  originUrl,
  naivePriceMicros,
  inspectorPort,
  storageDir,
  vars = {},
}) {
  // The bundle is one module, so wrangler's module rules have nothing to do.
  // Typed as miniflare's shape: wrangler's own type (an Omit over a type with an index
  // signature) has lost every named field.
  const { modulesRules: _unused, ...workerOptions } = /** @type {V4WorkerOptionsShape & { modulesRules?: unknown }} */ (
    unstable_getMiniflareWorkerOptions(join(root, 'wrangler.toml')).workerOptions
  );
  const direct = [{ host: '127.0.0.1', port: 0 }];
  // miniflare 5 takes a new options shape; wrangler still describes Workers in the v4 one.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      logRequests: false,
      // Where KV and the Durable Objects' SQLite files live (see storage.mjs for why it matters).
      resourcePersistencePath: storageDir,
      ...(inspectorPort ? { inspectorPort } : {}),
      workers: [
        {
          ...workerOptions,
          name: 'paywall',
          modules: true,
          scriptPath: paywallScript,
          bindings: { ...workerOptions.bindings, ...BENCH_SECRETS, DEV_TOPUP: 'true', DEFAULT_SITE: '', ...vars },
          unsafeDirectSockets: direct,
        },
        {
          name: 'naive-kv',
          modules: true,
          script: readFileSync(naiveScript, 'utf8'),
          scriptPath: naiveScript,
          compatibilityDate: workerOptions.compatibilityDate,
          kvNamespaces: { BALANCES: 'naive-kv-balances' },
          bindings: { ORIGIN: originUrl, PRICE_MICROS: String(naivePriceMicros) },
          unsafeDirectSockets: direct,
        },
        {
          name: 'floor',
          modules: true,
          scriptPath: floorScript,
          compatibilityDate: workerOptions.compatibilityDate,
          durableObjects: { NOOP: { className: 'Noop', useSQLite: true } },
          bindings: { ORIGIN: originUrl },
          unsafeDirectSockets: direct,
        },
      ],
    }),
  );
  await mf.ready;
  return {
    mf,
    paywallUrl: String(await mf.unsafeGetDirectURL('paywall')).replace(/\/$/, ''),
    naiveUrl: String(await mf.unsafeGetDirectURL('naive-kv')).replace(/\/$/, ''),
    floorUrl: String(await mf.unsafeGetDirectURL('floor')).replace(/\/$/, ''),
    kv: await mf.getKVNamespace('KV', 'paywall'),
    naiveKv: await mf.getKVNamespace('BALANCES', 'naive-kv'),
    inspectorUrl: inspectorPort ? `ws://127.0.0.1:${inspectorPort}/core:user:paywall` : null,
    stop: () => mf.dispose(),
  };
}
