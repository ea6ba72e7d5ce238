import { z } from 'zod';
import { siteSchema } from './site-schema';

const DESCRIPTIONS: Record<string, string> = {
  host: 'The host readers use, lower-case, with a port if it is not the default; the KV key is site:<host>.',
  origin: "The publisher's origin, an http: or https: URL without credentials, query or fragment. The path is appended to it.",
  rules: 'Tried in order; the first whose pattern matches the path sets the price. No match: free.',
  pattern: 'A URLPattern pathname, e.g. /articles/:slug or /premium/*. Matching ignores ASCII case and one trailing slash.',
  priceMicros: 'Price of one view in micros: 1 USD = 1,000,000, so 2000 is $0.002. An integer.',
  reviewWindowSeconds: 'After a charge, the same reader sees the same path free for this many seconds. Omit to charge every view.',
  receiptBar:
    "true: a paid HTML page starts with a small receipt bar (the amount paid, the reader's balance, a link to the receipt where the view can be taken back). Its styles are added only where the page's Content-Security-Policy allows inline styles. Omit or false: pages pass unchanged.",
};

/**
 * The site document as JSON Schema, generated from the zod schema that the worker
 * validates with (shipped as schema/site.schema.json by `npm run schema`). Checks that
 * JSON Schema cannot say (a pattern URLPattern accepts, an origin without credentials)
 * are only made by the worker.
 */
export function siteJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(siteSchema, {
    override: (ctx) => {
      const s = ctx.jsonSchema as Record<string, unknown>;
      // zod names its startsWith check as a format no validator knows; the pattern already says it.
      if (s.format === 'starts_with') delete s.format;
      const key = ctx.path[ctx.path.length - 1];
      if (typeof key === 'string' && ctx.path[ctx.path.length - 2] === 'properties' && DESCRIPTIONS[key]) s.description = DESCRIPTIONS[key];
    },
  });
  return {
    $schema: schema.$schema,
    title: 'Edge paywall site document (KV key site:<host>)',
    ...schema,
  };
}
