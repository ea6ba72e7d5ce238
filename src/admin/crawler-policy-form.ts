import type { CrawlerAction, CrawlerPolicy } from '../crawlers/crawler-policy-schema';
import type { Issue } from '../http/json-errors';
import { priceForForms, isPriceUnit, parsePriceTypedByPeople, type PriceUnit } from '../money';

/**
 * The console's crawler policy: one row per crawler identity, as the admin typed it.
 * `who` says which identity (`agent` and `category` need a name); `action` empty means
 * "no rule" (a blank row left for adding one). Posted as repeated fields in order.
 */
export type CrawlerWho = 'agent' | 'signed' | 'category' | 'verified' | 'unidentified';
export type CrawlerRowDraft = { who: CrawlerWho; name: string; action: '' | CrawlerAction['action']; price: string; unit: PriceUnit };

export const CRAWLER_WHO: Record<CrawlerWho, { label: string; named: boolean }> = {
  agent: { label: 'Signature agent (URL or key thumbprint)', named: true },
  signed: { label: 'Any other signed crawler', named: false },
  category: { label: 'Verified bot category', named: true },
  verified: { label: 'Any other verified bot', named: false },
  unidentified: { label: 'Unidentified automated traffic', named: false },
};

const isWho = (v: string): v is CrawlerWho => v in CRAWLER_WHO;
const isAction = (v: string): v is CrawlerRowDraft['action'] => v === '' || v === 'charge' || v === 'allow' || v === 'block';

export function blankCrawlerRow(): CrawlerRowDraft {
  return { who: 'agent', name: '', action: '', price: '', unit: 'usd' };
}

export function crawlerRowsFromPolicy(policy: CrawlerPolicy | undefined): CrawlerRowDraft[] {
  const rows: CrawlerRowDraft[] = [];
  const row = (who: CrawlerWho, name: string, a: CrawlerAction) =>
    rows.push({
      who,
      name,
      action: a.action,
      price: a.action === 'charge' && a.priceMicros !== undefined ? priceForForms(a.priceMicros, 'usd') : '',
      unit: 'usd',
    });
  for (const [name, a] of Object.entries(policy?.signatureAgents ?? {})) row('agent', name, a);
  if (policy?.signed) row('signed', '', policy.signed);
  for (const [name, a] of Object.entries(policy?.verifiedBotCategories ?? {})) row('category', name, a);
  if (policy?.verifiedBots) row('verified', '', policy.verifiedBots);
  if (policy?.unidentified) row('unidentified', '', policy.unidentified);
  return rows;
}

type FormBody = Record<string, string | File | (string | File)[]>;

function texts(body: FormBody, name: string): string[] {
  const v = body[name];
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
  return list.map((x) => (typeof x === 'string' ? x : ''));
}

export function crawlerRowsFromForm(body: FormBody): CrawlerRowDraft[] {
  const [who, name, action, price, unit] = ['crawlerWho', 'crawlerName', 'crawlerAction', 'crawlerPrice', 'crawlerUnit'].map((n) =>
    texts(body, n),
  ) as [string[], string[], string[], string[], string[]];
  return who.map((w, i) => ({
    who: isWho(w) ? w : 'agent',
    name: (name[i] ?? '').trim(),
    action: isAction(action[i] ?? '') ? (action[i] as CrawlerRowDraft['action']) : '',
    price: price[i] ?? '',
    unit: isPriceUnit(unit[i] ?? '') ? (unit[i] as PriceUnit) : 'usd',
  }));
}

/** The rows as the site document's `crawlers` (undefined when no row has an action), with the issues of the rows themselves. */
export function policyFromCrawlerRows(rows: CrawlerRowDraft[]): { policy: CrawlerPolicy | undefined; issues: Issue[] } {
  const policy: CrawlerPolicy = {};
  const issues: Issue[] = [];
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    if (r.action === '') return;
    let action: CrawlerAction = { action: r.action } as CrawlerAction;
    if (r.action === 'charge' && r.price.trim() !== '') {
      const price = parsePriceTypedByPeople(r.price, r.unit);
      if (!price.ok) issues.push({ path: `crawlerRows.${i}.price`, message: `Crawler price ${price.message}` });
      else action = { action: 'charge', priceMicros: price.micros };
    }
    const named = CRAWLER_WHO[r.who].named;
    if (named && r.name === '') {
      issues.push({ path: `crawlerRows.${i}.name`, message: `${CRAWLER_WHO[r.who].label} needs a name` });
      return;
    }
    const key = `${r.who}:${named ? r.name : ''}`;
    if (seen.has(key)) {
      issues.push({ path: `crawlerRows.${i}.name`, message: 'This crawler already has a row above' });
      return;
    }
    seen.add(key);
    if (r.who === 'agent') policy.signatureAgents = { ...policy.signatureAgents, [r.name]: action };
    else if (r.who === 'category') policy.verifiedBotCategories = { ...policy.verifiedBotCategories, [r.name]: action };
    else if (r.who === 'signed') policy.signed = action;
    else if (r.who === 'verified') policy.verifiedBots = action;
    else policy.unidentified = action;
  });
  return { policy: Object.keys(policy).length > 0 ? policy : undefined, issues };
}
