import { z } from 'zod';
import { micros } from '../money';

/**
 * A site's crawler policy, as publishers write it in the site document (`crawlers`).
 * What each kind of crawler gets, in Cloudflare pay per crawl's three actions:
 * `charge` (the rule's price, or `priceMicros` as the crawler price on every priced
 * path), `allow` (free) or `block` (403 CrawlerForbidden). Free paths stay free for
 * everyone a site does not block. Without the field, every crawler is charged the
 * rule's price, as people are.
 */
export const crawlerActionSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('charge'), priceMicros: micros.optional() }),
  z.strictObject({ action: z.literal('allow') }),
  z.strictObject({ action: z.literal('block') }),
]);

/** A signature agent's URL (its Signature-Agent) or one key's RFC 7638 thumbprint. */
const signatureAgentKey = z
  .string()
  .refine(
    (k) =>
      /^[A-Za-z0-9_-]{43}$/.test(k) ||
      /^https:\/\/[a-z0-9.-]+(:\d{1,5})?(\/[^\s?#]*[^\s?#/])?$/.test(k) ||
      /^http:\/\/(127\.0\.0\.1|localhost)(:\d{1,5})?(\/[^\s?#]*[^\s?#/])?$/.test(k),
    { error: 'must be a Signature-Agent URL (https, lower-case host, no trailing slash) or a key thumbprint (43 base64url characters)' },
  );

export const crawlerPolicySchema = z.strictObject({
  /** Verified Web Bot Auth signers, by Signature-Agent URL or key thumbprint. */
  signatureAgents: z.record(signatureAgentKey, crawlerActionSchema).optional(),
  /** Any other verified signer. */
  signed: crawlerActionSchema.optional(),
  /** Cloudflare's verified bots, by `request.cf.verifiedBotCategory` (e.g. "Search Engine Crawler"). */
  verifiedBotCategories: z.record(z.string().min(1).max(64), crawlerActionSchema).optional(),
  /** Any other verified bot category. */
  verifiedBots: crawlerActionSchema.optional(),
  /** Automated traffic that is neither: a request signed with a key we cannot verify, or Cloudflare's bot score saying automated. */
  unidentified: crawlerActionSchema.optional(),
});

export type CrawlerAction = z.infer<typeof crawlerActionSchema>;
export type CrawlerPolicy = z.infer<typeof crawlerPolicySchema>;
