/**
 * A passkey in software, for tests: makes real WebAuthn registration and sign-in
 * responses with an ES256 (P-256) key from WebCrypto, as a browser would hand them to
 * the page, so that the server side is checked against the bytes it will really see.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

const UP = 0x01;
const UV = 0x04;
const BE = 0x08;
const BS = 0x10;
const AT = 0x40;

export class SoftwareAuthenticator {
  counter = 0;

  private constructor(
    private readonly keys: CryptoKeyPair,
    readonly credentialId: string,
    /** A synced passkey (iCloud Keychain, Google Password Manager) sets the backup bits. */
    public synced: boolean,
    /** The user handle stored at registration, returned at every sign-in (base64url). */
    public userHandle = '',
  ) {}

  static async create(opts: { synced?: boolean; credentialId?: Uint8Array } = {}): Promise<SoftwareAuthenticator> {
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const id = opts.credentialId ?? crypto.getRandomValues(new Uint8Array(16));
    return new SoftwareAuthenticator(keys, b64url(id), opts.synced ?? true);
  }

  /** `userId` is the options' `user.id` (base64url), kept as this passkey's user handle. */
  async register(args: { challenge: string; origin: string; rpID: string; userId: string }): Promise<RegistrationResponseJSON> {
    this.userHandle = args.userId;
    const jwk = (await crypto.subtle.exportKey('jwk', this.keys.publicKey)) as JsonWebKey;
    const cose = cbor(
      new Map<number, unknown>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, fromB64url(jwk.x!)],
        [-3, fromB64url(jwk.y!)],
      ]),
    );
    const credId = fromB64url(this.credentialId);
    const attested = concat(new Uint8Array(16), u16(credId.length), credId, cose);
    const authData = concat(await rpIdHash(args.rpID), new Uint8Array([this.flags() | AT]), u32(this.counter), attested);
    const clientDataJSON = JSON.stringify({ type: 'webauthn.create', challenge: args.challenge, origin: args.origin, crossOrigin: false });
    const attestationObject = cbor(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(new TextEncoder().encode(clientDataJSON)),
        attestationObject: b64url(attestationObject),
        transports: ['internal', 'hybrid'],
      },
    };
  }

  /** Each sign-in counts up, as a single-device authenticator's counter does. */
  async signIn(args: { challenge: string; origin: string; rpID: string; counter?: number }): Promise<AuthenticationResponseJSON> {
    this.counter = args.counter ?? this.counter + 1;
    const authData = concat(await rpIdHash(args.rpID), new Uint8Array([this.flags()]), u32(this.counter));
    const clientData = new TextEncoder().encode(
      JSON.stringify({ type: 'webauthn.get', challenge: args.challenge, origin: args.origin, crossOrigin: false }),
    );
    const clientDataHash = new Uint8Array(await crypto.subtle.digest('SHA-256', clientData));
    const raw = new Uint8Array(
      await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, this.keys.privateKey, concat(authData, clientDataHash)),
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(rawToDer(raw)),
        userHandle: this.userHandle,
      },
    };
  }

  private flags(): number {
    return UP | UV | (this.synced ? BE | BS : 0);
  }
}

/** The CBOR WebAuthn uses: integers, byte and text strings, arrays and maps. */
export function cbor(value: unknown): Uint8Array {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError('integers only');
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (value instanceof Uint8Array) return concat(head(2, value.length), value);
  if (typeof value === 'string') {
    const bytes = new TextEncoder().encode(value);
    return concat(head(3, bytes.length), bytes);
  }
  if (Array.isArray(value)) return concat(head(4, value.length), ...value.map(cbor));
  if (value instanceof Map) return concat(head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)]));
  throw new TypeError(`cannot encode ${typeof value}`);
}

function head(major: number, n: number): Uint8Array {
  const m = major << 5;
  if (n < 24) return new Uint8Array([m | n]);
  if (n < 0x100) return new Uint8Array([m | 24, n]);
  if (n < 0x10000) return concat(new Uint8Array([m | 25]), u16(n));
  return concat(new Uint8Array([m | 26]), u32(n));
}

/** WebCrypto signs ECDSA as r|s; WebAuthn carries it as an ASN.1 DER SEQUENCE of two INTEGERs. */
export function rawToDer(raw: Uint8Array): Uint8Array {
  const int = (bytes: Uint8Array) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    let v: Uint8Array = bytes.slice(i);
    if (v[0]! & 0x80) v = concat(new Uint8Array([0]), v);
    return concat(new Uint8Array([0x02, v.length]), v);
  };
  const body = concat(int(raw.slice(0, 32)), int(raw.slice(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

async function rpIdHash(rpID: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(rpID)));
}

function u16(n: number): Uint8Array {
  return new Uint8Array([(n >>> 8) & 255, n & 255]);
}

function u32(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromB64url(text: string): Uint8Array {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
