// The site documents the bench seeds into the Worker's KV (`site:<host>`, as the contract
// allows an admin to do with `wrangler kv key put`).

export const MAIN_HOST = 'news.bench';
export const PAID_PRICE = 1000;
export const REVIEW_PRICE = 2500;

/** @param {string} origin */
export function mainSite(origin) {
  return {
    host: MAIN_HOST,
    origin,
    rules: [
      { pattern: '/paid/*', priceMicros: PAID_PRICE },
      { pattern: '/articles/:slug', priceMicros: REVIEW_PRICE, reviewWindowSeconds: 86_400 },
      { pattern: '/*', priceMicros: 0 },
    ],
  };
}

/**
 * A site of `n` rules: n - 1 priced sections `/s<i>/:slug`, then a free catch-all. The
 * 10-rule and the 10,000-rule site differ only in how many sections there are, and the
 * load asks for a new path every time, so each view is matched afresh (no memo hit).
 * @param {string} host
 * @param {string} origin
 * @param {number} n
 */
export function sectionSite(host, origin, n) {
  /** @type {{ pattern: string, priceMicros: number }[]} */
  const rules = [];
  for (let i = 0; i < n - 1; i++) rules.push({ pattern: `/s${i}/:slug`, priceMicros: PAID_PRICE });
  rules.push({ pattern: '/*', priceMicros: 0 });
  return { host, origin, rules };
}

/**
 * @param {unknown} _n
 * @param {number} sections
 * @param {number} i
 */
export function sectionPath(_n, sections, i) {
  return `/s${(i * 7919) % sections}/story-${i}`;
}

/**
 * @param {{ put(key: string, value: string): Promise<unknown> }} kv
 * @param {{ host: string }} doc
 */
export async function seedSite(kv, doc) {
  await kv.put(`site:${doc.host}`, JSON.stringify(doc));
}
