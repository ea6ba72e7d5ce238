import { blankCrawlerRow, CRAWLER_WHO, type CrawlerRowDraft } from '../admin/crawler-policy-form';
import type { Issue } from '../http/json-errors';
import { PRICE_UNITS } from '../money';

/**
 * The site editor's crawler policy: who is charged, let in free or blocked. Two blank
 * rows are always offered for adding one (a row without an action is no rule), so the
 * card needs no script.
 */
export function CrawlerPolicyCard(props: { rows: CrawlerRowDraft[]; issues: Issue[] }) {
  const rows = [...props.rows, blankCrawlerRow(), blankCrawlerRow()];
  const errorsOf = (i: number) => props.issues.filter((x) => x.path.startsWith(`crawlerRows.${i}.`)).map((x) => x.message);
  const general = props.issues.filter((x) => x.path.startsWith('crawlers')).map((x) => `${x.path}: ${x.message}`);
  return (
    <div class="card" id="crawlers">
      <h2>Crawlers</h2>
      <p class="muted small">
        People always pay the rules above. Crawlers that say who they are (a Web Bot Auth signature, or a bot Cloudflare verified) can be
        charged the rule's price or a crawler price of their own, let in free, or blocked; automated traffic that cannot be named counts as
        unidentified. Without a row, crawlers pay the rule's price. Leave the action empty to remove a row.
      </p>
      {general.length > 0 ? (
        <p class="field-error" id="err-crawlers">
          {general.join('; ')}
        </p>
      ) : null}
      <table class="rules crawler-rules">
        <thead>
          <tr>
            <th>Crawler</th>
            <th>Name</th>
            <th>Action</th>
            <th>Crawler price (empty: the rule's)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => {
            const errors = errorsOf(i);
            const n = i + 1;
            return (
              <tr>
                <td>
                  <select name="crawlerWho" aria-label={`Crawler of row ${n}`}>
                    {Object.entries(CRAWLER_WHO).map(([who, w]) => (
                      <option value={who} selected={row.who === who}>
                        {w.label}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <input
                    class="pattern"
                    id={`crawler-name-${i}`}
                    name="crawlerName"
                    value={row.name}
                    placeholder="https://crawler.example or Search Engine Crawler"
                    spellcheck={false}
                    aria-label={`Name of crawler row ${n}`}
                    aria-invalid={errors.length > 0 ? 'true' : undefined}
                    aria-describedby={errors.length > 0 ? `err-crawler-${i}` : undefined}
                  />
                  {errors.length > 0 ? (
                    <p class="field-error" id={`err-crawler-${i}`}>
                      {errors.join('; ')}
                    </p>
                  ) : null}
                </td>
                <td>
                  <select name="crawlerAction" aria-label={`Action for crawler row ${n}`}>
                    {[
                      ['', '(no rule)'],
                      ['charge', 'Charge'],
                      ['allow', 'Allow free'],
                      ['block', 'Block (403)'],
                    ].map(([value, label]) => (
                      <option value={value} selected={row.action === value}>
                        {label}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <span class="pair">
                    <input
                      class="price"
                      name="crawlerPrice"
                      value={row.price}
                      inputmode="decimal"
                      placeholder="rule's"
                      aria-label={`Crawler price of row ${n}`}
                    />{' '}
                    <select name="crawlerUnit" aria-label={`Crawler price unit of row ${n}`}>
                      {Object.entries(PRICE_UNITS).map(([unit, u]) => (
                        <option value={unit} selected={row.unit === unit}>
                          {unit === 'usd' ? 'USD' : u.label}
                        </option>
                      ))}
                    </select>
                  </span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
