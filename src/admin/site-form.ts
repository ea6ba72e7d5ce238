import type { Issue } from '../http/json-errors';
import type { Site } from '../rules/site-schema';
import { priceForForms, isPriceUnit, parsePriceTypedByPeople, type PriceUnit } from '../money';
import { checkSite } from './site-writes';
import { formatWindow, isWindowUnit, parseWindow, type WindowUnit } from './window-input';
import { crawlerRowsFromForm, crawlerRowsFromPolicy, policyFromCrawlerRows, type CrawlerRowDraft } from './crawler-policy-form';

/**
 * The console's editor works on a draft: the texts as the admin typed them. Rows are
 * posted as repeated fields in document order (pattern, price, unit, window, windowUnit),
 * so adding, removing or moving a row in the page needs no renumbering.
 */
export type RuleDraft = { pattern: string; price: string; unit: PriceUnit; window: string; windowUnit: WindowUnit };
export type SiteDraft = { host: string; origin: string; rules: RuleDraft[]; crawlers?: CrawlerRowDraft[]; receiptBar?: boolean };

export function blankRule(): RuleDraft {
  return { pattern: '', price: '', unit: 'usd', window: '', windowUnit: 'hours' };
}

export function draftFromSite(site: Site): SiteDraft {
  return {
    host: site.host,
    origin: site.origin,
    rules: site.rules.map((r) => {
      const w = formatWindow(r.reviewWindowSeconds);
      return { pattern: r.pattern, price: priceForForms(r.priceMicros, 'usd'), unit: 'usd', window: w.value, windowUnit: w.unit };
    }),
    crawlers: crawlerRowsFromPolicy(site.crawlers),
    receiptBar: site.receiptBar === true,
  };
}

type FormBody = Record<string, string | File | (string | File)[]>;

function texts(body: FormBody, name: string): string[] {
  const v = body[name];
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
  return list.map((x) => (typeof x === 'string' ? x : ''));
}

export function draftFromForm(host: string, body: FormBody): SiteDraft {
  const [patterns, prices, units, windows, windowUnits] = ['pattern', 'price', 'unit', 'window', 'windowUnit'].map((n) =>
    texts(body, n),
  ) as [string[], string[], string[], string[], string[]];
  // Never fewer rows than were posted: a save must not drop rules (the form's size is bounded by the body limit, the count by the schema).
  const count = Math.max(patterns.length, prices.length, windows.length);
  const rules: RuleDraft[] = [];
  for (let i = 0; i < count; i++) {
    const unit = units[i] ?? '';
    const windowUnit = windowUnits[i] ?? '';
    rules.push({
      pattern: patterns[i] ?? '',
      price: prices[i] ?? '',
      unit: isPriceUnit(unit) ? unit : 'usd',
      window: windows[i] ?? '',
      windowUnit: isWindowUnit(windowUnit) ? windowUnit : 'hours',
    });
  }
  // A checkbox is posted only when ticked: every post of the form (a row action too) carries it.
  const receiptBar = texts(body, 'receiptBar').includes('on');
  return { host, origin: texts(body, 'origin')[0] ?? '', rules, crawlers: crawlerRowsFromForm(body), receiptBar };
}

/** `add`, `remove:<i>`, `up:<i>`, `down:<i>`: the editor's row buttons, applied on the server when the page has no script. */
export function applyRowAction(draft: SiteDraft, action: string): SiteDraft {
  const rules = [...draft.rules];
  const [verb, at] = action.split(':');
  const i = Number(at);
  if (verb === 'add') rules.push(blankRule());
  else if (Number.isInteger(i) && i >= 0 && i < rules.length) {
    if (verb === 'remove') rules.splice(i, 1);
    else if (verb === 'up' && i > 0) [rules[i - 1], rules[i]] = [rules[i]!, rules[i - 1]!];
    else if (verb === 'down' && i < rules.length - 1) [rules[i + 1], rules[i]] = [rules[i]!, rules[i + 1]!];
  }
  return { ...draft, rules };
}

/**
 * The draft as a site document, checked whole: the texts that are not numbers are
 * reported at the document path of their field (`rules.2.priceMicros`), together with
 * every issue the site schema finds in the rest.
 */
export function siteFromDraft(draft: SiteDraft): { ok: true; site: Site } | { ok: false; issues: Issue[] } {
  const own: Issue[] = [];
  const rules = draft.rules.map((r, i) => {
    const price = parsePriceTypedByPeople(r.price, r.unit);
    if (!price.ok) own.push({ path: `rules.${i}.priceMicros`, message: `Price ${price.message}` });
    const window = parseWindow(r.window, r.windowUnit);
    if (!window.ok) own.push({ path: `rules.${i}.reviewWindowSeconds`, message: `Re-view window ${window.message}` });
    return {
      pattern: r.pattern.trim(),
      priceMicros: price.ok ? price.micros : 0,
      ...(window.ok && window.seconds !== undefined ? { reviewWindowSeconds: window.seconds } : {}),
    };
  });
  const crawlers = policyFromCrawlerRows(draft.crawlers ?? []);
  own.push(...crawlers.issues);
  const checked = checkSite(
    {
      host: draft.host,
      origin: draft.origin.trim(),
      rules,
      ...(crawlers.policy ? { crawlers: crawlers.policy } : {}),
      // Off is the field left out, as a document written before it existed says.
      ...(draft.receiptBar ? { receiptBar: true } : {}),
    },
    draft.host,
  );
  if (checked.ok && own.length === 0) return checked;
  const taken = new Set(own.map((i) => i.path));
  return { ok: false, issues: [...own, ...(checked.ok ? [] : checked.issues.filter((i) => !taken.has(i.path)))] };
}
