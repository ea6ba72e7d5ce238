import type { Issue } from '../http/json-errors';
import { PRICE_UNITS, parsePriceTypedByPeople } from '../money';
import type { RuleDraft, SiteDraft } from '../admin/site-form';
import { WINDOW_UNITS } from '../admin/window-input';
import { usdForPeople } from '../money';
import { AdminLayout } from './admin-layout';
import { EDITOR_SCRIPT } from './admin-editor-script';
import { CrawlerPolicyCard } from './crawler-policy-card';

export type PathPreview =
  | { kind: 'invalid_path'; path: string; reason: string }
  | { kind: 'draft_invalid'; path: string }
  | { kind: 'free'; path: string }
  | { kind: 'match'; path: string; index: number; pattern: string; priceMicros: number; reviewWindowSeconds?: number };

type Errors = Map<string, string[]>;

function errorsByPath(issues: Issue[]): Errors {
  const map: Errors = new Map();
  for (const i of issues) map.set(i.path, [...(map.get(i.path) ?? []), i.message]);
  return map;
}

/** A zod issue path, as the admin would say where it is. */
function placeOf(path: string): { label: string; field: string | null } {
  const m = /^rules\.(\d+)\.(pattern|priceMicros|reviewWindowSeconds)$/.exec(path);
  if (m) {
    const n = Number(m[1]);
    const [label, field] =
      m[2] === 'pattern' ? ['pattern', 'pattern'] : m[2] === 'priceMicros' ? ['price', 'price'] : ['re-view window', 'window'];
    return { label: `Rule ${n + 1}, ${label}`, field: `${field}-${n}` };
  }
  if (path === 'origin') return { label: 'Origin', field: 'origin' };
  if (path.startsWith('rules')) return { label: 'Rules', field: null };
  const crawler = /^crawlerRows\.(\d+)\./.exec(path);
  if (crawler) return { label: `Crawler row ${Number(crawler[1]) + 1}`, field: `crawler-name-${crawler[1]}` };
  if (path.startsWith('crawlers')) return { label: 'Crawlers', field: 'crawlers' };
  return { label: path || 'Document', field: null };
}

function FieldErrors(props: { id: string; messages: string[] | undefined }) {
  if (!props.messages) return null;
  return (
    <p class="field-error" id={props.id}>
      {props.messages.join('; ')}
    </p>
  );
}

function windowText(seconds: number | undefined): string {
  if (seconds === undefined) return 'every view is charged';
  for (const [unit, s] of Object.entries(WINDOW_UNITS)) {
    if (seconds % s === 0) return `re-views within ${seconds / s} ${seconds / s === 1 ? unit.replace(/s$/, '') : unit} are free`;
  }
  return '';
}

function RuleRow(props: { rule: RuleDraft; index: number; count: number; errors: Errors }) {
  const { rule, index: i, count } = props;
  const n = i + 1;
  const patternErr = props.errors.get(`rules.${i}.pattern`);
  const priceErr = props.errors.get(`rules.${i}.priceMicros`);
  const windowErr = props.errors.get(`rules.${i}.reviewWindowSeconds`);
  const price = parsePriceTypedByPeople(rule.price, rule.unit);
  return (
    <tr>
      <td class="rule-no">{n}</td>
      <td data-col="Path pattern">
        <input
          class="pattern"
          id={`pattern-${i}`}
          name="pattern"
          value={rule.pattern}
          data-label="Pattern of rule #"
          aria-label={`Pattern of rule ${n}`}
          spellcheck={false}
          aria-invalid={patternErr ? 'true' : undefined}
          aria-describedby={patternErr ? `err-pattern-${i}` : undefined}
        />
        <FieldErrors id={`err-pattern-${i}`} messages={patternErr} />
      </td>
      <td data-col="Price per view">
        <span class="pair">
          <input
            class="price"
            id={`price-${i}`}
            name="price"
            value={rule.price}
            inputmode="decimal"
            data-label="Price of rule #"
            aria-label={`Price of rule ${n}`}
            aria-invalid={priceErr ? 'true' : undefined}
            aria-describedby={priceErr ? `err-price-${i}` : `hint-price-${i}`}
          />{' '}
          <select name="unit" data-label="Price unit of rule #" aria-label={`Price unit of rule ${n}`}>
            {Object.entries(PRICE_UNITS).map(([unit, u]) => (
              <option value={unit} selected={rule.unit === unit}>
                {unit === 'usd' ? 'USD' : u.label}
              </option>
            ))}
          </select>
        </span>
        {priceErr ? (
          <FieldErrors id={`err-price-${i}`} messages={priceErr} />
        ) : (
          <p class="small muted price-hint" id={`hint-price-${i}`}>
            {price.ok ? `${usdForPeople(price.micros)} = ${price.micros.toLocaleString('en-US')} micros` : ''}
          </p>
        )}
      </td>
      <td data-col="Re-view window">
        <span class="pair">
          <input
            class="window"
            id={`window-${i}`}
            name="window"
            value={rule.window}
            inputmode="numeric"
            placeholder="none"
            data-label="Re-view window of rule #"
            aria-label={`Re-view window of rule ${n}`}
            aria-invalid={windowErr ? 'true' : undefined}
            aria-describedby={windowErr ? `err-window-${i}` : undefined}
          />{' '}
          <select name="windowUnit" data-label="Re-view window unit of rule #" aria-label={`Re-view window unit of rule ${n}`}>
            {Object.keys(WINDOW_UNITS).map((unit) => (
              <option value={unit} selected={rule.windowUnit === unit}>
                {unit}
              </option>
            ))}
          </select>
        </span>
        <FieldErrors id={`err-window-${i}`} messages={windowErr} />
      </td>
      <td class="row-actions" data-col="Order">
        <button
          type="submit"
          class="secondary small"
          name="action"
          value={`up:${i}`}
          data-verb="up"
          disabled={i === 0}
          aria-label={`Move rule ${n} up`}
          data-label="Move rule # up"
        >
          ↑
        </button>{' '}
        <button
          type="submit"
          class="secondary small"
          name="action"
          value={`down:${i}`}
          data-verb="down"
          disabled={i === count - 1}
          aria-label={`Move rule ${n} down`}
          data-label="Move rule # down"
        >
          ↓
        </button>{' '}
        <button
          type="submit"
          class="danger small"
          name="action"
          value={`remove:${i}`}
          data-verb="remove"
          aria-label={`Remove rule ${n}`}
          data-label="Remove rule #"
        >
          Remove
        </button>
      </td>
    </tr>
  );
}

function PreviewResult(props: { preview: PathPreview }) {
  const p = props.preview;
  let text: string;
  if (p.kind === 'invalid_path') text = `${p.path} cannot be served safely (${p.reason}): readers get a 400.`;
  else if (p.kind === 'draft_invalid') text = 'Fix the issues above first: the preview uses the rules as they stand in this form.';
  else if (p.kind === 'free') text = `${p.path}: no rule matches, so it is free.`;
  else
    text = `${p.path}: rule ${p.index + 1} (${p.pattern}) matches, price ${usdForPeople(p.priceMicros)} (${p.priceMicros.toLocaleString('en-US')} micros)${
      p.priceMicros === 0 ? ', free' : `; ${windowText(p.reviewWindowSeconds)}`
    }.`;
  return (
    <p class={p.kind === 'invalid_path' || p.kind === 'draft_invalid' ? 'alert' : 'notice'} data-testid="preview-result" role="status">
      {text}
    </p>
  );
}

export function SiteEditorPage(props: {
  nonce: string;
  draft: SiteDraft;
  issues: Issue[];
  exists: boolean;
  saved: boolean;
  preview: PathPreview | null;
  previewPath: string;
}) {
  const { draft } = props;
  const errors = errorsByPath(props.issues);
  const host = draft.host;
  const general = props.issues.filter((i) => placeOf(i.path).field === null);
  return (
    <AdminLayout title={`Rules of ${host}`} nonce={props.nonce} signedIn script={EDITOR_SCRIPT}>
      <p class="small">
        <a href="/__paywall/admin">Sites</a> › {host}
      </p>
      <h1>Price rules of {host}</h1>
      <p class="muted">
        Rules are tried from the top; the first whose pattern matches the path sets the price, and a path no rule matches is free. Patterns
        use <a href="https://developer.mozilla.org/en-US/docs/Web/API/URL_Pattern_API">URLPattern</a> syntax: <code>/articles/:slug</code>,{' '}
        <code>/premium/*</code>. Case and one trailing slash are ignored.
      </p>
      {props.saved ? (
        <p class="notice" role="status" data-testid="saved">
          Saved. The new rules are in force now on this worker and everywhere within 60 seconds.
        </p>
      ) : null}
      {!props.exists && !props.saved ? <p class="notice">{host} has no document yet: it is created when you save.</p> : null}
      {props.issues.length > 0 ? (
        <div class="alert" role="alert" data-testid="issues">
          <p>
            <strong>{props.issues.length === 1 ? '1 problem' : `${props.issues.length} problems`}: nothing was saved.</strong>
          </p>
          <ul>
            {props.issues.map((i) => {
              const place = placeOf(i.path);
              return (
                <li>
                  {place.field ? <a href={`#${place.field}`}>{place.label}</a> : place.label}: {i.message}
                </li>
              );
            })}
          </ul>
        </div>
      ) : null}
      <form method="post" action={`/__paywall/admin/sites/${host}`} id="site-form" novalidate>
        {/* Enter in a field previews: the first submit button is the form's default. */}
        {/* biome-ignore lint/a11y/noAriaHiddenOnFocusable: never reached by Tab (tabindex -1); only Enter in a field submits through it */}
        <button type="submit" name="action" value="preview" class="offscreen" tabindex={-1} aria-hidden="true">
          Preview
        </button>
        <div class="card">
          <label for="origin">Origin: where the publisher's pages are fetched from</label>
          <input
            class="wide"
            id="origin"
            name="origin"
            value={draft.origin}
            placeholder="https://origin.news.example"
            spellcheck={false}
            aria-invalid={errors.has('origin') ? 'true' : undefined}
            aria-describedby={errors.has('origin') ? 'err-origin' : undefined}
          />
          <FieldErrors id="err-origin" messages={errors.get('origin')} />
        </div>
        <div class="card">
          <h2>Rules</h2>
          {general.length > 0 ? <FieldErrors id="err-rules" messages={general.map((i) => i.message)} /> : null}
          <table class="rules">
            <thead>
              <tr>
                <th>#</th>
                <th>Path pattern</th>
                <th>Price per view</th>
                <th>Re-view window</th>
                <th>Order</th>
              </tr>
            </thead>
            <tbody id="rule-rows">
              {draft.rules.map((rule, i) => (
                <RuleRow rule={rule} index={i} count={draft.rules.length} errors={errors} />
              ))}
            </tbody>
          </table>
          <template id="rule-template">
            <RuleRow
              rule={{ pattern: '', price: '', unit: 'usd', window: '', windowUnit: 'hours' }}
              index={0}
              count={1}
              errors={new Map()}
            />
          </template>
          <p id="row-status" class="offscreen" aria-live="polite"></p>
          <div class="actions">
            <button type="submit" class="secondary" name="action" value="add">
              Add a rule
            </button>
          </div>
          <p class="small muted">
            Prices are kept as whole micros: $1 = 1,000,000 micros, so $0.002 (0.2 cents) is 2,000 micros. Type them in dollars or cents;
            leave the re-view window empty to charge every view.
          </p>
        </div>
        <CrawlerPolicyCard rows={draft.crawlers ?? []} issues={props.issues} />
        <div class="card">
          <h2>Receipt on the page</h2>
          <label class="check">
            <input
              type="checkbox"
              id="receiptBar"
              name="receiptBar"
              value="on"
              checked={draft.receiptBar === true}
              aria-describedby="hint-receiptBar"
            />
            Show readers a receipt at the top of each paid page
          </label>
          <p class="small muted" id="hint-receiptBar">
            A one-line bar first in the page: what the view cost, the reader's balance after it, and a link to the receipt, where the reader
            can take the view back. It adds no script. Its own styles are added only where your page's Content-Security-Policy allows inline
            styles; elsewhere it takes your page's styles. Free views and free re-views get no bar.
          </p>
        </div>
        <div class="card">
          <h2>Preview a path</h2>
          <div class="preview-row">
            <div>
              <label for="previewPath">Path</label>
              <input id="previewPath" name="previewPath" value={props.previewPath} placeholder="/articles/hello" spellcheck={false} />
            </div>
            <button type="submit" class="secondary" name="action" value="preview">
              Preview
            </button>
          </div>
          {props.preview ? <PreviewResult preview={props.preview} /> : null}
        </div>
        <div class="actions">
          <button type="submit" name="action" value="save">
            Save rules
          </button>
          <a class="button secondary" href={`/__paywall/admin/sites/${host}/revenue`}>
            Revenue
          </a>
          <a class="button secondary" href={`/__paywall/admin/sites/${host}/take-backs`}>
            Views taken back
          </a>
          <a class="button secondary" href={`/__paywall/admin/audit?host=${encodeURIComponent(host)}`}>
            Audit log
          </a>
        </div>
      </form>
    </AdminLayout>
  );
}
