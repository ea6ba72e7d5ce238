import type { CrawlerAction, CrawlerPolicy } from './crawler-policy-schema';
import type { CrawlerSignature } from './verify-crawler';

/**
 * Who is asking, as far as crawler policy goes. Only three things make a request a
 * crawler: a verified Web Bot Auth signature, Cloudflare naming a verified bot's
 * category, or automated traffic we cannot name (a signature we cannot verify, or a
 * Cloudflare bot score of "automated"). Everything else is a person, and people are
 * never given a crawler's price, a crawler's free pass or a crawler's block.
 */
export type CrawlerIdentity =
  | { kind: 'person' }
  | { kind: 'signed'; keyid: string; agent: string | null; payer: string | null }
  | { kind: 'verified_bot'; category: string }
  | { kind: 'unidentified'; signer: { keyid: string; agent: string | null } | null };

/** Below this Cloudflare bot score (1 = surely a bot, 99 = surely human) traffic counts as automated, as Cloudflare's "likely automated" band. */
export const AUTOMATED_BELOW_SCORE = 30;

export function identityOf(cf: unknown, signature: CrawlerSignature): CrawlerIdentity {
  if (signature.kind === 'verified') {
    return { kind: 'signed', keyid: signature.keyid, agent: signature.agent, payer: signature.link?.readerId ?? null };
  }
  const props = typeof cf === 'object' && cf !== null ? (cf as Record<string, unknown>) : {};
  const category = props.verifiedBotCategory;
  if (typeof category === 'string' && category.length > 0) return { kind: 'verified_bot', category };
  if (signature.kind === 'unlinked') return { kind: 'unidentified', signer: { keyid: signature.keyid, agent: signature.agent } };
  const bot = props.botManagement;
  const score = typeof bot === 'object' && bot !== null ? (bot as Record<string, unknown>).score : undefined;
  if (typeof score === 'number' && score >= 1 && score < AUTOMATED_BELOW_SCORE) return { kind: 'unidentified', signer: null };
  return { kind: 'person' };
}

const CHARGE: CrawlerAction = { action: 'charge' };

/** The site's action for this identity; null for a person (the rules apply as written). */
export function actionFor(policy: CrawlerPolicy | undefined, identity: CrawlerIdentity): CrawlerAction | null {
  switch (identity.kind) {
    case 'person':
      return null;
    case 'signed':
      return (
        (identity.agent !== null ? policy?.signatureAgents?.[identity.agent] : undefined) ??
        policy?.signatureAgents?.[identity.keyid] ??
        policy?.signed ??
        CHARGE
      );
    case 'verified_bot':
      return policy?.verifiedBotCategories?.[identity.category] ?? policy?.verifiedBots ?? CHARGE;
    case 'unidentified':
      return policy?.unidentified ?? CHARGE;
  }
}

/** What a view costs this identity: the rule's price for people; for crawlers, 0 when allowed, the crawler price where one is set. */
export function crawlerPrice(action: CrawlerAction | null, rulePriceMicros: number): number {
  if (action === null || rulePriceMicros === 0) return rulePriceMicros;
  if (action.action === 'allow') return 0;
  if (action.action === 'charge' && action.priceMicros !== undefined) return action.priceMicros;
  return rulePriceMicros;
}
