import { isReaderId } from '../reader/reader-token';

/**
 * The recovery code: what gets a reader back into their wallet when every passkey is
 * lost. A wallet has no username or email, so the code itself must say which wallet it
 * opens: it carries the reader id and a secret, and only the secret's hash is stored.
 *
 * Format: 48 characters of Crockford base32 in 12 groups of 4, e.g.
 * `0F3K-…-7QX2`: 26 for the reader id's 16 bytes, 21 for the secret (105 random bits,
 * far beyond guessing at 10 tries an hour), 1 check character (Luhn mod 32) so that a
 * typo is caught before it spends one of those tries.
 * Why base32 rather than the reader id as it is: `r_…` is base64url, whose case
 * matters, and a code written on paper is typed back by hand; Crockford's alphabet has
 * no I, L, O or U, so case, `I`/`L` for `1` and `O` for `0` are all forgiven.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const READER_CHARS = 26;
const SECRET_CHARS = 21;
const CODE_CHARS = READER_CHARS + SECRET_CHARS + 1;

export type RecoveryCode = { readerId: string; secret: string };

/** A fresh code for the reader; show `code` once, store `hashRecoveryCode(secret)`. */
export function newRecoveryCode(readerId: string): { code: string; secret: string } {
  const readerPart = readerIdToBase32(readerId);
  if (!readerPart) throw new TypeError('not a reader id');
  // 256 is a multiple of 32, so masking keeps every character equally likely.
  const secret = Array.from(crypto.getRandomValues(new Uint8Array(SECRET_CHARS)), (b) => ALPHABET[b & 31]).join('');
  const body = readerPart + secret;
  const chars = body + ALPHABET[luhnCheck(body)];
  return { code: chars.match(/.{4}/g)!.join('-'), secret };
}

/** The wallet and secret a typed code names, or null when it is not a code (wrong length, typo, bad characters). */
export function parseRecoveryCode(text: unknown): RecoveryCode | null {
  if (typeof text !== 'string' || text.length > 200) return null;
  const chars = text.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (chars.length !== CODE_CHARS || ![...chars].every((c) => ALPHABET.includes(c))) return null;
  if (luhnSum(chars) % 32 !== 0) return null;
  const readerId = base32ToReaderId(chars.slice(0, READER_CHARS));
  if (!readerId) return null;
  return { readerId, secret: chars.slice(READER_CHARS, READER_CHARS + SECRET_CHARS) };
}

/** SHA-256 hex of the secret: what the wallet stores and compares (setRecoveryCodeHash, checkRecoveryCode). */
export async function hashRecoveryCode(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(secret));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function readerIdToBase32(readerId: string): string | null {
  if (!isReaderId(readerId)) return null;
  const bin = atob(`${readerId.slice(2).replace(/-/g, '+').replace(/_/g, '/')}==`);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  const encoded = toBase32(bytes);
  // Only ids made by newReaderId (16 bytes, no stray low bits) come back the same from the code.
  return base32ToReaderId(encoded) === readerId ? encoded : null;
}

function base32ToReaderId(chars: string): string | null {
  const bytes = fromBase32(chars, 16);
  if (!bytes) return null;
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  const id = `r_${btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
  return isReaderId(id) ? id : null;
}

function toBase32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** Exactly `length` bytes, with the leftover bits zero (so that each id has one spelling), or null. */
function fromBase32(chars: string, length: number): Uint8Array | null {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of chars) {
    const v = ALPHABET.indexOf(c);
    if (v < 0) return null;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  return out.length === length && value === 0 ? Uint8Array.from(out) : null;
}

/** Luhn mod N: catches every single wrong character and most swaps of two neighbours. */
function luhnCheck(body: string): number {
  return (32 - (luhnSum(body + ALPHABET[0]) % 32)) % 32;
}

function luhnSum(chars: string): number {
  let sum = 0;
  let factor = 1;
  for (let i = chars.length - 1; i >= 0; i--) {
    const addend = factor * ALPHABET.indexOf(chars[i]!);
    sum += Math.floor(addend / 32) + (addend % 32);
    factor = factor === 1 ? 2 : 1;
  }
  return sum;
}
