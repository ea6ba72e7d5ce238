import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { hashRecoveryCode, newRecoveryCode, parseRecoveryCode } from '../../src/passkeys/recovery-code';
import { newReaderId } from '../../src/reader/reader-token';
import { RECOVERY_MAX_FAILURES, RECOVERY_WINDOW_MS } from '../../src/wallet/passkey-store';
import { walletOf } from '../../src/wallet/wallet-stub';

const CODE = /^([0-9A-HJKMNP-TV-Z]{4}-){11}[0-9A-HJKMNP-TV-Z]{4}$/;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

async function walletWithCode() {
  const readerId = newReaderId();
  const wallet = walletOf(env, readerId);
  await wallet.open(readerId);
  const { code, secret } = newRecoveryCode(readerId);
  expect(await wallet.setRecoveryCodeHash(await hashRecoveryCode(secret))).toEqual({ ok: true });
  return { readerId, wallet, code };
}

/** What the wallet host's route does with a typed code. */
async function check(code: string) {
  const parsed = parseRecoveryCode(code);
  if (!parsed) return { ok: false as const, reason: 'not_a_code' as const };
  return walletOf(env, parsed.readerId).checkRecoveryCode(await hashRecoveryCode(parsed.secret));
}

describe('recovery code format', () => {
  it('names the wallet and a secret, and parses back', () => {
    for (let i = 0; i < 50; i++) {
      const readerId = newReaderId();
      const { code, secret } = newRecoveryCode(readerId);
      expect(code).toMatch(CODE);
      expect(parseRecoveryCode(code)).toEqual({ readerId, secret });
    }
  });

  it('forgives case, spaces, missing dashes and the letters Crockford base32 reads as digits', () => {
    const readerId = newReaderId();
    const { code, secret } = newRecoveryCode(readerId);
    const expected = { readerId, secret };
    expect(parseRecoveryCode(code.toLowerCase())).toEqual(expected);
    expect(parseRecoveryCode(`  ${code.replace(/-/g, ' ')}\n`)).toEqual(expected);
    expect(parseRecoveryCode(code.replace(/-/g, ''))).toEqual(expected);
    expect(parseRecoveryCode(code.replace(/0/g, 'O').replace(/1/g, 'l'))).toEqual(expected);
    expect(parseRecoveryCode(code.replace(/1/g, 'I'))).toEqual(expected);
  });

  it('catches any one mistyped character before it spends a try', () => {
    const { code } = newRecoveryCode(newReaderId());
    const chars = code.replace(/-/g, '');
    for (let i = 0; i < chars.length; i++) {
      for (const c of ALPHABET) {
        if (c === chars[i]) continue;
        expect(parseRecoveryCode(chars.slice(0, i) + c + chars.slice(i + 1)), `${i}:${c}`).toBeNull();
      }
    }
  });

  it('is null for anything that is not a code', () => {
    const { code } = newRecoveryCode(newReaderId());
    for (const junk of [
      undefined,
      null,
      42,
      {},
      '',
      code.slice(0, -1),
      `${code}A`,
      code.replace(/.$/, 'U'),
      code.replace(/^./, '!'),
      'x'.repeat(1000),
    ]) {
      expect(parseRecoveryCode(junk)).toBeNull();
    }
    expect(() => newRecoveryCode('not a reader')).toThrow();
  });

  it('stores only a SHA-256 of the secret', async () => {
    const { secret } = newRecoveryCode(newReaderId());
    const hash = await hashRecoveryCode(secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(secret.toLowerCase());
    expect(await hashRecoveryCode(secret)).toBe(hash);
  });
});

describe('checking a recovery code', () => {
  it('opens the wallet the code names with the right code, and refuses a wrong one', async () => {
    const { readerId, code } = await walletWithCode();
    expect(parseRecoveryCode(code)!.readerId).toBe(readerId);
    expect(await check(code)).toEqual({ ok: true });
    // Checking consumes nothing: the caller rotates.
    expect(await check(code)).toEqual({ ok: true });

    const wrong = newRecoveryCode(readerId).code;
    expect(await check(wrong)).toEqual({ ok: false, reason: 'wrong_code' });
  });

  it('throttles: after 10 wrong codes in an hour even the right one is refused, until the hour is over', async () => {
    const { readerId, wallet, code } = await walletWithCode();
    for (let i = 0; i < RECOVERY_MAX_FAILURES; i++) {
      expect(await check(newRecoveryCode(readerId).code)).toEqual({ ok: false, reason: 'wrong_code' });
    }
    expect(await check(code)).toEqual({ ok: false, reason: 'too_many_attempts' });
    expect(await check(newRecoveryCode(readerId).code)).toEqual({ ok: false, reason: 'too_many_attempts' });

    // The hour passes.
    await runInDurableObject(wallet, (_w, state) => {
      state.storage.sql.exec('UPDATE recovery SET window_start = window_start - ?', RECOVERY_WINDOW_MS);
    });
    expect(await check(code)).toEqual({ ok: true });
  });

  it('refuses a wallet without a code, a hash of the wrong shape, and a wallet never opened', async () => {
    const readerId = newReaderId();
    const wallet = walletOf(env, readerId);
    expect(await wallet.setRecoveryCodeHash('ab'.repeat(32))).toEqual({ ok: false, reason: 'no_such_reader' });
    await wallet.open(readerId);
    expect(await wallet.hasRecoveryCode()).toBe(false);
    expect(await wallet.checkRecoveryCode('ab'.repeat(32))).toEqual({ ok: false, reason: 'wrong_code' });
    for (const bad of ['', 'AB'.repeat(32), 'ab'.repeat(31), 'zz'.repeat(32)]) {
      expect(await wallet.setRecoveryCodeHash(bad)).toEqual({ ok: false, reason: 'invalid_hash' });
    }
    expect(await wallet.setRecoveryCodeHash('ab'.repeat(32))).toEqual({ ok: true });
    expect(await wallet.hasRecoveryCode()).toBe(true);
    expect(await wallet.checkRecoveryCode('not a hash')).toEqual({ ok: false, reason: 'wrong_code' });
  });

  it('rotating makes the old code fail and starts the new one with a clean throttle', async () => {
    const { readerId, wallet, code: old } = await walletWithCode();
    for (let i = 0; i < RECOVERY_MAX_FAILURES; i++) await check(newRecoveryCode(readerId).code);
    expect(await check(old)).toEqual({ ok: false, reason: 'too_many_attempts' });

    const { code, secret } = newRecoveryCode(readerId);
    expect(await wallet.setRecoveryCodeHash(await hashRecoveryCode(secret))).toEqual({ ok: true });
    expect(await check(old)).toEqual({ ok: false, reason: 'wrong_code' });
    expect(await check(code)).toEqual({ ok: true });
  });
});
