import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { openChallenge, sealChallenge } from '../../src/passkeys/challenge-cookie';
import { authenticationOptions, registrationOptions } from '../../src/passkeys/passkey-options';
import { verifyPasskeyRegistration, verifyPasskeySignIn } from '../../src/passkeys/verify-passkey';
import { newReaderId } from '../../src/reader/reader-token';
import { walletOf } from '../../src/wallet/wallet-stub';
import { b64url, SoftwareAuthenticator } from '../support/software-authenticator';

const RP_ID = 'wallet.test';
const ORIGIN = 'https://wallet.test';

async function newWallet(): Promise<string> {
  const readerId = newReaderId();
  await walletOf(env, readerId).open(readerId);
  return readerId;
}

async function register(
  readerId: string,
  opts: { authenticator?: SoftwareAuthenticator; origin?: string; rpID?: string; name?: string } = {},
) {
  const options = await registrationOptions({ rpID: RP_ID, rpName: 'Paywall', readerId, existingCredentialIds: [] });
  const sealedChallenge = await sealChallenge(env, { challenge: options.challenge, purpose: 'register', readerId });
  const authenticator = opts.authenticator ?? (await SoftwareAuthenticator.create());
  const response = await authenticator.register({
    challenge: options.challenge,
    origin: opts.origin ?? ORIGIN,
    rpID: opts.rpID ?? RP_ID,
    userId: options.user.id,
  });
  const result = await verifyPasskeyRegistration(env, {
    response,
    sealedChallenge,
    expectedOrigin: ORIGIN,
    rpID: RP_ID,
    readerId,
    name: opts.name ?? 'Laptop',
  });
  return { authenticator, response, sealedChallenge, result };
}

async function signInChallenge(now = Date.now()) {
  const options = await authenticationOptions({ rpID: RP_ID });
  return {
    challenge: options.challenge,
    sealedChallenge: await sealChallenge(env, { challenge: options.challenge, purpose: 'sign-in' }, now),
  };
}

async function signIn(authenticator: SoftwareAuthenticator, opts: { origin?: string; rpID?: string; counter?: number } = {}) {
  const { challenge, sealedChallenge } = await signInChallenge();
  const response = await authenticator.signIn({
    challenge,
    origin: opts.origin ?? ORIGIN,
    rpID: opts.rpID ?? RP_ID,
    counter: opts.counter,
  });
  const result = await verifyPasskeySignIn(env, { response, sealedChallenge, expectedOrigin: ORIGIN, rpID: RP_ID });
  return { response, sealedChallenge, result };
}

describe('passkey options', () => {
  it('asks for a discoverable passkey whose user handle is the reader id, without attestation', async () => {
    const readerId = newReaderId();
    const options = await registrationOptions({ rpID: RP_ID, rpName: 'Paywall', readerId, existingCredentialIds: ['AAAA'] });
    expect(options.user.id).toBe(b64url(new TextEncoder().encode(readerId)));
    expect(options.rp).toEqual({ id: RP_ID, name: 'Paywall' });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'preferred' });
    expect(options.attestation).toBe('none');
    expect(options.excludeCredentials).toEqual([{ id: 'AAAA', type: 'public-key' }]);
    expect(options.pubKeyCredParams.map((p) => p.alg)).toContain(-7);
  });

  it('signs in with any passkey for the site: no allowCredentials', async () => {
    const options = await authenticationOptions({ rpID: RP_ID });
    expect(options.rpId).toBe(RP_ID);
    expect(options.allowCredentials ?? []).toEqual([]);
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('sealed challenge', () => {
  it('opens only for its purpose, untampered and before it expires', async () => {
    const readerId = newReaderId();
    const now = Date.now();
    const sealed = await sealChallenge(env, { challenge: 'c'.repeat(43), purpose: 'register', readerId }, now);
    expect(await openChallenge(env, sealed, 'register', now)).toEqual({
      challenge: 'c'.repeat(43),
      purpose: 'register',
      readerId,
      expiresAt: now + 120_000,
    });
    expect(await openChallenge(env, sealed, 'sign-in', now)).toBeNull();
    expect(await openChallenge(env, sealed, 'register', now + 120_000)).toBeNull();
    expect(await openChallenge(env, sealed.replace('.register.', '.sign-in.'), 'sign-in', now)).toBeNull();
    expect(await openChallenge(env, sealed.replace(`${now + 120_000}`, `${now + 999_999}`), 'register', now)).toBeNull();
    // The signature's last character: one of its 4 signed bits flipped, and only its 2 spare bits.
    for (const flip of [4, 1]) {
      const tampered = sealed.slice(0, -1) + BASE64URL[BASE64URL.indexOf(sealed.at(-1)!) ^ flip];
      expect(await openChallenge(env, tampered, 'register', now), `flip ${flip}`).toBeNull();
    }
    for (const junk of [undefined, null, 7, {}, '', '.....', 'a.b.c.d.e.f', `${sealed}.x`, 'x'.repeat(10_000)]) {
      expect(await openChallenge(env, junk, 'register', now)).toBeNull();
    }
  });
});

describe('passkey sign-in', () => {
  it('registers a passkey and signs in with it to the wallet it names', async () => {
    const readerId = await newWallet();
    const { authenticator, result } = await register(readerId);
    expect(result).toEqual({ ok: true, credentialId: authenticator.credentialId });

    const [listed] = await walletOf(env, readerId).passkeys();
    expect(listed).toMatchObject({ id: authenticator.credentialId, name: 'Laptop', backedUp: true, lastUsedAt: null });

    const before = Date.now();
    expect((await signIn(authenticator)).result).toEqual({ ok: true, readerId });
    expect((await signIn(authenticator)).result).toEqual({ ok: true, readerId });
    const [used] = await walletOf(env, readerId).passkeys();
    expect(used!.lastUsedAt).toBeGreaterThanOrEqual(before);
  });

  it('counts a signed response once: a replay is refused, also from a passkey whose counter stays 0', async () => {
    const readerId = await newWallet();
    // Synced passkeys (iCloud Keychain, Google Password Manager) report a counter of 0 every time.
    const { authenticator } = await register(readerId);
    const first = await signIn(authenticator, { counter: 0 });
    expect(first.result).toEqual({ ok: true, readerId });
    const replay = await verifyPasskeySignIn(env, {
      response: first.response,
      sealedChallenge: first.sealedChallenge,
      expectedOrigin: ORIGIN,
      rpID: RP_ID,
    });
    expect(replay).toEqual({ ok: false, reason: 'challenge_used' });
    expect((await signIn(authenticator, { counter: 0 })).result).toEqual({ ok: true, readerId });

    // A counting authenticator's replay is caught by its counter too.
    const counting = await register(readerId, { authenticator: await SoftwareAuthenticator.create({ synced: false }) });
    const once = await signIn(counting.authenticator);
    expect(once.result.ok).toBe(true);
    const again = await verifyPasskeySignIn(env, {
      response: once.response,
      sealedChallenge: once.sealedChallenge,
      expectedOrigin: ORIGIN,
      rpID: RP_ID,
    });
    expect(again.ok).toBe(false);
    const [, listed] = await walletOf(env, readerId).passkeys();
    expect(listed!.backedUp).toBe(false);
  });

  it('shows a passkey as backed up once its authenticator says it has synced', async () => {
    const readerId = await newWallet();
    const { authenticator } = await register(readerId, { authenticator: await SoftwareAuthenticator.create({ synced: false }) });
    expect((await walletOf(env, readerId).passkeys())[0]!.backedUp).toBe(false);
    authenticator.synced = true;
    expect((await signIn(authenticator)).result.ok).toBe(true);
    expect((await walletOf(env, readerId).passkeys())[0]!.backedUp).toBe(true);
  });

  it('forgets used challenges once they have expired, and keeps them until then', async () => {
    const readerId = await newWallet();
    const { authenticator } = await register(readerId);
    const wallet = walletOf(env, readerId);
    await runInDurableObject(wallet, (_w, state) => {
      state.storage.sql.exec('INSERT INTO used_challenges (challenge, expires_at) VALUES (?, ?)', 'stale', Date.now() - 1);
    });
    const { sealedChallenge } = await signIn(authenticator);
    const sealed = (await openChallenge(env, sealedChallenge, 'sign-in'))!;
    const rows = await runInDurableObject(wallet, (_w, state) =>
      state.storage.sql.exec<{ challenge: string; expires_at: number }>('SELECT challenge, expires_at FROM used_challenges').toArray(),
    );
    // The registration's challenge and this sign-in's, each until its seal expires.
    expect(rows.map((r) => r.challenge)).not.toContain('stale');
    expect(rows).toContainEqual({ challenge: sealed.challenge, expires_at: sealed.expiresAt });
  });

  it('refuses two requests racing with one signed response: exactly one signs in', async () => {
    const readerId = await newWallet();
    const { authenticator } = await register(readerId);
    const { challenge, sealedChallenge } = await signInChallenge();
    const response = await authenticator.signIn({ challenge, origin: ORIGIN, rpID: RP_ID, counter: 0 });
    const results = await Promise.all(
      [1, 2, 3].map(() => verifyPasskeySignIn(env, { response, sealedChallenge, expectedOrigin: ORIGIN, rpID: RP_ID })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it('refuses a response made for another origin or another RP ID', async () => {
    const readerId = await newWallet();
    const { authenticator } = await register(readerId);
    expect((await signIn(authenticator, { origin: 'https://evil.test' })).result).toEqual({ ok: false, reason: 'not_verified' });
    expect((await signIn(authenticator, { rpID: 'evil.test' })).result).toEqual({ ok: false, reason: 'not_verified' });

    expect((await register(readerId, { origin: 'https://evil.test' })).result).toEqual({ ok: false, reason: 'not_verified' });
    expect((await register(readerId, { rpID: 'evil.test' })).result).toEqual({ ok: false, reason: 'not_verified' });
    expect(await walletOf(env, readerId).passkeys()).toHaveLength(1);
  });

  it('refuses an expired, forged or misdirected sealed challenge', async () => {
    const readerId = await newWallet();
    const { authenticator } = await register(readerId);

    const old = await signInChallenge(Date.now() - 3 * 60_000);
    const response = await authenticator.signIn({ challenge: old.challenge, origin: ORIGIN, rpID: RP_ID });
    expect(await verifyPasskeySignIn(env, { response, sealedChallenge: old.sealedChallenge, expectedOrigin: ORIGIN, rpID: RP_ID })).toEqual(
      {
        ok: false,
        reason: 'bad_challenge',
      },
    );

    const fresh = await signInChallenge();
    const signed = await authenticator.signIn({ challenge: fresh.challenge, origin: ORIGIN, rpID: RP_ID });
    const args = { response: signed, expectedOrigin: ORIGIN, rpID: RP_ID };
    // The same value, judged 2 minutes later.
    expect(await verifyPasskeySignIn(env, { ...args, sealedChallenge: fresh.sealedChallenge }, Date.now() + 121_000)).toEqual({
      ok: false,
      reason: 'bad_challenge',
    });
    const forged = fresh.sealedChallenge.replace(/\.[^.]+$/, `.${'A'.repeat(43)}`);
    expect(await verifyPasskeySignIn(env, { ...args, sealedChallenge: forged })).toEqual({ ok: false, reason: 'bad_challenge' });
    // A valid seal of another challenge than the one signed.
    const other = await signInChallenge();
    expect(await verifyPasskeySignIn(env, { ...args, sealedChallenge: other.sealedChallenge })).toEqual({
      ok: false,
      reason: 'not_verified',
    });
    // A registration's seal cannot finish a sign-in.
    const asRegister = await sealChallenge(env, { challenge: fresh.challenge, purpose: 'register', readerId });
    expect(await verifyPasskeySignIn(env, { ...args, sealedChallenge: asRegister })).toEqual({ ok: false, reason: 'bad_challenge' });
    // Untouched, it still works: nothing above consumed it.
    expect(await verifyPasskeySignIn(env, { ...args, sealedChallenge: fresh.sealedChallenge })).toEqual({ ok: true, readerId });
  });

  it('refuses a tampered signature, authenticator data or client data', async () => {
    const readerId = await newWallet();
    const { authenticator } = await register(readerId);
    const { challenge, sealedChallenge } = await signInChallenge();
    const good = await authenticator.signIn({ challenge, origin: ORIGIN, rpID: RP_ID });
    const flip = (text: string, at: number) => {
      const bytes = Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
      bytes[at] = bytes[at]! ^ 1;
      return b64url(bytes);
    };
    const tampered = [
      { ...good.response, signature: flip(good.response.signature, good.response.signature.length > 60 ? 40 : 10) },
      { ...good.response, authenticatorData: flip(good.response.authenticatorData, 36) },
      {
        ...good.response,
        clientDataJSON: b64url(new TextEncoder().encode(JSON.stringify({ type: 'webauthn.get', challenge, origin: ORIGIN, x: 1 }))),
      },
    ];
    for (const response of tampered) {
      expect(
        await verifyPasskeySignIn(env, { response: { ...good, response }, sealedChallenge, expectedOrigin: ORIGIN, rpID: RP_ID }),
      ).toEqual({
        ok: false,
        reason: 'not_verified',
      });
    }
    expect(await verifyPasskeySignIn(env, { response: good, sealedChallenge, expectedOrigin: ORIGIN, rpID: RP_ID })).toEqual({
      ok: true,
      readerId,
    });
  });

  it('refuses a credential the wallet does not have, and a user handle that names no reader', async () => {
    const readerId = await newWallet();
    await register(readerId);
    const stranger = await SoftwareAuthenticator.create();
    stranger.userHandle = b64url(new TextEncoder().encode(readerId));
    expect((await signIn(stranger)).result).toEqual({ ok: false, reason: 'unknown_credential' });
    for (const handle of [b64url(new TextEncoder().encode('not-a-reader')), b64url(new Uint8Array([0xff, 0xfe, 0x00])), 'AA']) {
      stranger.userHandle = handle;
      expect((await signIn(stranger)).result).toEqual({ ok: false, reason: 'unknown_credential' });
    }
  });

  it('answers every malformed response with ok:false, never a throw', async () => {
    const readerId = await newWallet();
    const { authenticator, response: registration } = await register(readerId);
    const { challenge, sealedChallenge } = await signInChallenge();
    const good = await authenticator.signIn({ challenge, origin: ORIGIN, rpID: RP_ID });
    const randomB64 = b64url(crypto.getRandomValues(new Uint8Array(64)));
    const notJson = b64url(new TextEncoder().encode('{"type":'));

    const shapes: unknown[] = [
      undefined,
      null,
      0,
      1.5,
      true,
      'string',
      [],
      [good],
      {},
      { id: 1 },
      { ...good, id: 42 },
      { ...good, id: '' },
      { ...good, id: 'not base64!' },
      { ...good, id: 'A'.repeat(5000) },
      { ...good, rawId: randomB64 },
      { ...good, type: 'password' },
      { ...good, response: null },
      { ...good, response: 'x' },
      { ...good, clientExtensionResults: null },
      { ...good, authenticatorAttachment: 'toaster' },
      ...(['clientDataJSON', 'authenticatorData', 'signature', 'userHandle'] as const).flatMap((field) => [
        { ...good, response: { ...good.response, [field]: undefined } },
        { ...good, response: { ...good.response, [field]: 7 } },
        { ...good, response: { ...good.response, [field]: '***' } },
        { ...good, response: { ...good.response, [field]: randomB64 } },
        { ...good, response: { ...good.response, [field]: 'A'.repeat(100_000) } },
      ]),
      { ...good, response: { ...good.response, clientDataJSON: notJson } },
      { ...good, response: { ...good.response, clientDataJSON: b64url(new TextEncoder().encode('"just a string"')) } },
      { ...good, response: { ...good.response, authenticatorData: 'AA' } },
      { ...good, response: { ...good.response, signature: 'AA' } },
      registration,
    ];
    for (const response of shapes) {
      const result = await verifyPasskeySignIn(env, { response, sealedChallenge, expectedOrigin: ORIGIN, rpID: RP_ID });
      expect(result.ok, JSON.stringify(response)?.slice(0, 200)).toBe(false);
    }
    for (const sealed of [undefined, null, 5, {}, '', 'x.y', `${sealedChallenge}x`]) {
      expect((await verifyPasskeySignIn(env, { response: good, sealedChallenge: sealed, expectedOrigin: ORIGIN, rpID: RP_ID })).ok).toBe(
        false,
      );
    }

    const options = await registrationOptions({ rpID: RP_ID, rpName: 'Paywall', readerId, existingCredentialIds: [] });
    const regSealed = await sealChallenge(env, { challenge: options.challenge, purpose: 'register', readerId });
    const fresh = await (await SoftwareAuthenticator.create()).register({
      challenge: options.challenge,
      origin: ORIGIN,
      rpID: RP_ID,
      userId: options.user.id,
    });
    const regShapes: unknown[] = [
      undefined,
      null,
      'x',
      [],
      {},
      good,
      { ...fresh, type: 'other' },
      { ...fresh, id: 5 },
      { ...fresh, rawId: randomB64 },
      ...(['clientDataJSON', 'attestationObject'] as const).flatMap((field) => [
        { ...fresh, response: { ...fresh.response, [field]: undefined } },
        { ...fresh, response: { ...fresh.response, [field]: '***' } },
        { ...fresh, response: { ...fresh.response, [field]: randomB64 } },
      ]),
      { ...fresh, response: { ...fresh.response, clientDataJSON: notJson } },
      { ...fresh, response: { ...fresh.response, transports: 'usb' } },
      { ...fresh, response: { ...fresh.response, transports: Array(50).fill('usb') } },
      // CBOR that is well formed but not an attestation object.
      { ...fresh, response: { ...fresh.response, attestationObject: b64url(new Uint8Array([0xa1, 0x01, 0x02])) } },
      { ...fresh, response: { ...fresh.response, attestationObject: b64url(new Uint8Array([0xff])) } },
    ];
    for (const response of regShapes) {
      const result = await verifyPasskeyRegistration(env, {
        response,
        sealedChallenge: regSealed,
        expectedOrigin: ORIGIN,
        rpID: RP_ID,
        readerId,
      });
      expect(result.ok, JSON.stringify(response)?.slice(0, 200)).toBe(false);
    }
    // None of it used up the challenges: the real responses still go through.
    expect(await verifyPasskeySignIn(env, { response: good, sealedChallenge, expectedOrigin: ORIGIN, rpID: RP_ID })).toEqual({
      ok: true,
      readerId,
    });
    expect(
      (await verifyPasskeyRegistration(env, { response: fresh, sealedChallenge: regSealed, expectedOrigin: ORIGIN, rpID: RP_ID, readerId }))
        .ok,
    ).toBe(true);
  });
});

describe('passkey registration', () => {
  it('counts a registration once and binds it to the reader the challenge was issued to', async () => {
    const readerId = await newWallet();
    const { response, sealedChallenge, result } = await register(readerId);
    expect(result.ok).toBe(true);
    expect(await verifyPasskeyRegistration(env, { response, sealedChallenge, expectedOrigin: ORIGIN, rpID: RP_ID, readerId })).toEqual({
      ok: false,
      reason: 'challenge_used',
    });

    const other = await newWallet();
    const options = await registrationOptions({ rpID: RP_ID, rpName: 'Paywall', readerId, existingCredentialIds: [] });
    const sealed = await sealChallenge(env, { challenge: options.challenge, purpose: 'register', readerId });
    const made = await (await SoftwareAuthenticator.create()).register({
      challenge: options.challenge,
      origin: ORIGIN,
      rpID: RP_ID,
      userId: options.user.id,
    });
    expect(
      await verifyPasskeyRegistration(env, {
        response: made,
        sealedChallenge: sealed,
        expectedOrigin: ORIGIN,
        rpID: RP_ID,
        readerId: other,
      }),
    ).toEqual({
      ok: false,
      reason: 'bad_challenge',
    });
    expect(await walletOf(env, other).passkeys()).toEqual([]);
  });

  it('refuses a wallet that was never opened, and the same credential twice', async () => {
    const { result } = await register(newReaderId());
    expect(result).toEqual({ ok: false, reason: 'no_such_reader' });

    const readerId = await newWallet();
    const { authenticator } = await register(readerId);
    expect((await register(readerId, { authenticator })).result).toEqual({ ok: false, reason: 'already_registered' });
  });

  it('keeps a clean name', async () => {
    const readerId = await newWallet();
    await register(readerId, { name: `  Work\u0000 phone\u202e ${'x'.repeat(100)}` });
    await register(readerId, { name: '   ' });
    const names = (await walletOf(env, readerId).passkeys()).map((p) => p.name);
    expect(names).toContain(`Work phone ${'x'.repeat(49)}`);
    expect(names).toContain('Passkey');
  });
});

describe('removing a passkey', () => {
  it('removes it, and the removed passkey can no longer sign in', async () => {
    const readerId = await newWallet();
    const first = await register(readerId);
    const second = await register(readerId, { name: 'Phone' });
    const wallet = walletOf(env, readerId);
    expect(await wallet.removePasskey(first.authenticator.credentialId)).toEqual({ ok: true });
    expect((await wallet.passkeys()).map((p) => p.name)).toEqual(['Phone']);
    expect((await signIn(first.authenticator)).result).toEqual({ ok: false, reason: 'unknown_credential' });
    expect((await signIn(second.authenticator)).result).toEqual({ ok: true, readerId });
    expect(await wallet.removePasskey(first.authenticator.credentialId)).toEqual({ ok: false, reason: 'not_found' });
  });

  it('keeps the last passkey unless a recovery code can still open the wallet', async () => {
    const readerId = await newWallet();
    const { authenticator } = await register(readerId);
    const wallet = walletOf(env, readerId);
    expect(await wallet.removePasskey(authenticator.credentialId)).toEqual({ ok: false, reason: 'last_passkey' });
    expect(await wallet.setRecoveryCodeHash('ab'.repeat(32))).toEqual({ ok: true });
    expect(await wallet.removePasskey(authenticator.credentialId)).toEqual({ ok: true });
    expect(await wallet.passkeys()).toEqual([]);
  });
});
