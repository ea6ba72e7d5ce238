import { env } from 'cloudflare:workers';
import { helpers, jwkToKeyID, signatureHeaders, type Signer } from 'web-bot-auth';
import { call, json, type Reader } from './paywall';

/**
 * A crawler for tests: an Ed25519 key made here, requests signed with Cloudflare's
 * web-bot-auth (RFC 9421, tag "web-bot-auth") exactly as a crawler signs them, and
 * verified by the Worker. workerd has Ed25519 in WebCrypto under the name "Ed25519".
 */
export type CrawlerKey = { jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string }; keyid: string; signer: Signer };

export async function newCrawlerKey(): Promise<CrawlerKey> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const exported = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey;
  const jwk = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: exported.x! };
  const keyid = await jwkToKeyID(jwk, helpers.WEBCRYPTO_SHA256, helpers.BASE64URL_DECODE);
  const signer: Signer = {
    alg: 'ed25519',
    keyid,
    sign: async (data: string) => new Uint8Array(await crypto.subtle.sign('Ed25519', pair.privateKey, new TextEncoder().encode(data))),
  };
  return { jwk, keyid, signer };
}

/** A key directory served by the test origin, as a crawler publishes one; its URL is the Signature-Agent. */
export function directoryUrl(keys: CrawlerKey[]): string {
  const body = JSON.stringify({ keys: keys.map((k) => k.jwk) });
  return `${env.TEST_ORIGIN}/directory/${Buffer.from(body).toString('base64url')}`;
}

export type SignOptions = {
  headers?: Record<string, string>;
  agent?: string;
  /** Seconds from now. */
  created?: number;
  expires?: number;
  /** Sign as if for this URL (a tampered @authority when it differs from the one sent to). */
  signedUrl?: string;
  signer?: Signer;
  method?: string;
};

/** A request to the Worker signed by `key`. */
export async function signedRequest(url: string, key: CrawlerKey, options: SignOptions = {}): Promise<Request> {
  const headers = new Headers({ accept: 'application/json', ...(options.headers ?? {}) });
  if (options.agent !== undefined) headers.set('signature-agent', `"${options.agent}"`);
  const now = Date.now();
  const signed = await signatureHeaders(
    { method: options.method ?? 'GET', url: options.signedUrl ?? url, headers },
    options.signer ?? key.signer,
    {
      created: new Date(now + (options.created ?? -1) * 1000),
      expires: new Date(now + (options.expires ?? 60) * 1000),
    },
  );
  headers.set('signature', signed.Signature);
  headers.set('signature-input', signed['Signature-Input']);
  return new Request(url, { method: options.method ?? 'GET', headers });
}

export async function linkKey(reader: Reader, body: Record<string, unknown>): Promise<Response> {
  return call('/__paywall/api/me/crawler-keys', json(body, reader.auth));
}
