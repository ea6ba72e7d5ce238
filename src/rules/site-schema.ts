import { z } from 'zod';
import { micros } from '../money';
import { crawlerPolicySchema } from '../crawlers/crawler-policy-schema';

const hostname = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/, {
    error: 'must be a lower-case host name, optionally with a port',
  });

const pattern = z
  .string()
  .min(1)
  .max(1024)
  .startsWith('/', { error: 'must start with /' })
  .refine(
    (p) => {
      try {
        new URLPattern({ pathname: p });
        return true;
      } catch {
        return false;
      }
    },
    { error: 'is not a valid URLPattern pathname' },
  );

export const priceRuleSchema = z.strictObject({
  pattern,
  priceMicros: micros,
  reviewWindowSeconds: z
    .number()
    .int({ error: 'must be an integer number of seconds' })
    .positive()
    .max(366 * 86_400, { error: 'must be at most a year' })
    .optional(),
});

export const siteSchema = z.strictObject({
  host: hostname,
  origin: z.url({ protocol: /^https?$/, error: 'must be an http: or https: URL' }).refine(
    (u) => {
      // Not a URL at all is reported by z.url above; this check is for URLs only.
      if (!URL.canParse(u)) return true;
      const url = new URL(u);
      return url.username === '' && url.password === '' && url.search === '' && url.hash === '';
    },
    { error: 'must not carry credentials, a query or a fragment' },
  ),
  rules: z.array(priceRuleSchema).max(20_000),
  /** What each kind of crawler gets: src/crawlers/crawler-policy-schema.ts. */
  crawlers: crawlerPolicySchema.optional(),
  /** Opt-in: a paid HTML answer starts with a small receipt (src/paywall/receipt-bar.ts). */
  receiptBar: z.boolean().optional(),
});

export type PriceRule = z.infer<typeof priceRuleSchema>;
export type Site = z.infer<typeof siteSchema>;

export type SiteIssue = { path: string; message: string };

export function siteIssues(error: z.ZodError): SiteIssue[] {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}
