import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { walletOf } from '../../src/wallet/wallet-stub';

/** The bench's stand-in for the network hop to a wallet (BENCH_WALLET_DELAY_MS, bench/run.mjs). */
describe('a wallet stub with the bench delay', () => {
  it('calls the wallet as the plain stub does, each call waiting the delay first', async () => {
    const id = `stub-delay-${crypto.randomUUID()}`;
    const slow = walletOf({ ...env, BENCH_WALLET_DELAY_MS: '20' }, id);
    const started = Date.now();
    expect(await slow.exists()).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(20);
    expect(await walletOf(env, id).exists()).toBe(false);
  });

  it('is the plain stub when the delay is unset', () => {
    const id = env.WALLET.idFromName('stub-plain');
    expect(walletOf(env, 'stub-plain').id.equals(id)).toBe(true);
  });
});
