import { HTTP_MESSAGE_SIGNATURE_TAG, verify } from 'web-bot-auth';
import { verifierFromJWK } from 'web-bot-auth/crypto';
import { linkForDirectory, linkForKeyid, type CrawlerLink, type Ed25519PublicJwk } from './crawler-links';
import { claimNonce } from './crawler-nonces';
import { directoryKeys, signatureAgentOf } from './key-directory';

/**
 * Web Bot Auth (draft-meunier-web-bot-auth-architecture over RFC 9421 HTTP Message
 * Signatures): who signed a request, and which wallet pays for it. Cloudflare's
 * `web-bot-auth` parses the headers, rebuilds the signature base and checks the tag,
 * `created` and `expires`; we find the key (a linked key by its thumbprint, or a key in
 * a linked agent's directory), insist that `@authority` (and `signature-agent` when
 * sent) are covered, bound a signature's lifetime, and refuse replays.
 */
export const MAX_SIGNATURE_LIFETIME_SECONDS = 3600;

export type SignatureFailure = 'malformed' | 'expired' | 'replayed' | 'invalid_signature' | 'not_covered' | 'lifetime_too_long';

export type CrawlerSignature =
  | { kind: 'unsigned' }
  | { kind: 'invalid'; failure: SignatureFailure; field: string; message: string }
  /** Signed with a key that no wallet is linked to (nothing was fetched, nothing was verified). */
  | { kind: 'unlinked'; keyid: string; agent: string | null }
  /** `link` is null for an agent the site's policy names that no wallet is linked to (it can be allowed or blocked, not charged). */
  | { kind: 'verified'; keyid: string; agent: string | null; link: CrawlerLink | null };

class Unlinked extends Error {}
class Refused extends Error {
  constructor(
    readonly failure: SignatureFailure,
    message: string,
  ) {
    super(message);
  }
}

/** `namedAgents`: Signature-Agents the site's policy names, whose directories may be fetched even when no wallet is linked. */
export async function verifyCrawler(env: Env, request: Request, namedAgents: ReadonlySet<string> = new Set()): Promise<CrawlerSignature> {
  const input = request.headers.get('signature-input');
  const signature = request.headers.get('signature');
  if (input === null && signature === null) return { kind: 'unsigned' };
  const invalid = (failure: SignatureFailure, field: string, message: string): CrawlerSignature => ({
    kind: 'invalid',
    failure,
    field,
    message,
  });
  if (input === null || signature === null) {
    return invalid('malformed', input === null ? 'Signature-Input' : 'Signature', 'Send both Signature-Input and Signature (RFC 9421).');
  }
  const agentHeader = request.headers.get('signature-agent');
  const agent = agentHeader === null ? null : signatureAgentOf(agentHeader);
  if (agentHeader !== null && agent === null)
    return invalid('malformed', 'Signature-Agent', 'Signature-Agent must be an https URL, quoted.');

  let found: { keyid: string; link: CrawlerLink | null } | null = null;
  let keyidSeen: string | null = null;
  try {
    await verify(request, async (data, sig, params) => {
      keyidSeen = params.keyid;
      const lines = data.split('\n');
      if (!lines.some((l) => l.startsWith('"@authority": '))) throw new Refused('not_covered', 'The signature must cover @authority.');
      if (agent !== null && !lines.some((l) => l.startsWith('"signature-agent"'))) {
        throw new Refused('not_covered', 'The signature must cover signature-agent when the request sends it.');
      }
      if (params.expires.getTime() - Date.now() > MAX_SIGNATURE_LIFETIME_SECONDS * 1000) {
        throw new Refused('lifetime_too_long', `A signature may expire at most ${MAX_SIGNATURE_LIFETIME_SECONDS} seconds ahead.`);
      }
      const key = await keyFor(env, params.keyid, agent, namedAgents);
      if (!key) throw new Unlinked();
      try {
        await (await verifierFromJWK(key.jwk))(data, sig, params);
      } catch {
        throw new Refused('invalid_signature', 'The signature does not verify with the key its keyid names.');
      }
      // Only a signature that verified takes a place in the replay store.
      const replayKey = params.nonce ?? `sig:${signature}`;
      if (!(await claimNonce(env, params.keyid, replayKey, params.expires.getTime()))) {
        throw new Refused('replayed', 'This signature (its nonce) was already used.');
      }
      found = { keyid: params.keyid, link: key.link };
    });
  } catch (e) {
    if (e instanceof Unlinked) return { kind: 'unlinked', keyid: keyidSeen ?? '', agent };
    if (e instanceof Refused) return invalid(e.failure, 'Signature', e.message);
    const message = e instanceof Error ? e.message : String(e);
    if (/expired/i.test(message)) return invalid('expired', 'Signature-Input', 'The signature has expired.');
    if (/future/i.test(message)) return invalid('malformed', 'Signature-Input', 'The signature was created in the future.');
    if (/tag/i.test(message))
      return invalid('malformed', 'Signature-Input', `The signature's tag must be "${HTTP_MESSAGE_SIGNATURE_TAG}".`);
    return invalid('malformed', 'Signature-Input', `The signature cannot be read: ${message}`);
  }
  const verified = found as { keyid: string; link: CrawlerLink | null } | null;
  if (!verified) return invalid('malformed', 'Signature-Input', 'The signature cannot be read.');
  return { kind: 'verified', keyid: verified.keyid, agent, link: verified.link };
}

/** The key a keyid names and the wallet linked to it: a linked key first, then a linked (or site-named) agent's directory. */
async function keyFor(
  env: Env,
  keyid: string,
  agent: string | null,
  namedAgents: ReadonlySet<string>,
): Promise<{ jwk: Ed25519PublicJwk; link: CrawlerLink | null } | null> {
  const byKey = await linkForKeyid(env.KV, keyid);
  if (byKey?.kind === 'key') return { jwk: byKey.jwk, link: byKey };
  if (agent === null) return null;
  const byAgent = await linkForDirectory(env.KV, agent);
  if (!byAgent && !namedAgents.has(agent)) return null;
  const jwk = (await directoryKeys(agent))?.get(keyid);
  return jwk ? { jwk, link: byAgent } : null;
}
