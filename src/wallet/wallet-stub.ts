/** The Durable Object that holds one reader's money. */
export function walletOf(env: Env, readerId: string) {
  const stub = env.WALLET.get(env.WALLET.idFromName(readerId));
  const delayMs = Number(env.BENCH_WALLET_DELAY_MS);
  return delayMs > 0 ? delayed(stub, delayMs) : stub;
}

/**
 * The bench's stand-in for a network hop to the wallet: every call waits `ms` first. Local
 * workerd answers a Durable Object call in well under a millisecond, where on Cloudflare the
 * object is a hop away; only the bench sets BENCH_WALLET_DELAY_MS (bench/run.mjs).
 */
function delayed<T extends object>(stub: T, ms: number): T {
  return new Proxy(stub, {
    get(target, name) {
      const member: unknown = Reflect.get(target, name);
      if (typeof member !== 'function') return member;
      // Reflect.apply, not member.apply: on an RPC stub, `apply` would be a call to the object.
      return (...args: unknown[]) => scheduler.wait(ms).then(() => Reflect.apply(member, target, args));
    },
  });
}
