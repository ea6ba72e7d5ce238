import type { UsageHistory } from '../admin/usage-history';
import { AdminLayout } from './admin-layout';
import { UsageChart } from './admin-usage-chart';
import { usdForPeople } from '../money';

export function RevenuePage(props: {
  nonce: string;
  host: string;
  from: string;
  to: string;
  errors: { from?: string; to?: string };
  usage: UsageHistory | null;
}) {
  const { host, usage } = props;
  return (
    <AdminLayout title={`Revenue of ${host}`} nonce={props.nonce} signedIn>
      <p class="small">
        <a href="/__paywall/admin">Sites</a> › <a href={`/__paywall/admin/sites/${host}`}>{host}</a> › revenue
      </p>
      <h1>Revenue of {host}</h1>
      <form method="get" class="card preview-row" novalidate>
        <div>
          <label for="from">From (UTC day)</label>
          <input
            type="date"
            id="from"
            name="from"
            value={props.from}
            aria-invalid={props.errors.from ? 'true' : undefined}
            aria-describedby={props.errors.from ? 'err-from' : undefined}
          />
          {props.errors.from ? (
            <p class="field-error" id="err-from">
              {props.errors.from}
            </p>
          ) : null}
        </div>
        <div>
          <label for="to">To (UTC day, included)</label>
          <input
            type="date"
            id="to"
            name="to"
            value={props.to}
            aria-invalid={props.errors.to ? 'true' : undefined}
            aria-describedby={props.errors.to ? 'err-to' : undefined}
          />
          {props.errors.to ? (
            <p class="field-error" id="err-to">
              {props.errors.to}
            </p>
          ) : null}
        </div>
        <button type="submit" class="secondary">
          Show
        </button>
      </form>
      {usage ? (
        <>
          <div class="card">
            <div class="totals" data-testid="totals">
              <div>
                Revenue<strong data-testid="total-revenue">{usdForPeople(usage.totals.revenueMicros)}</strong>
              </div>
              <div>
                Views<strong data-testid="total-views">{usage.totals.views.toLocaleString('en-US')}</strong>
              </div>
              <div>
                Paid views<strong data-testid="total-paid-views">{usage.totals.paidViews.toLocaleString('en-US')}</strong>
              </div>
            </div>
            <div class="legend" aria-hidden="true">
              <span>
                <span class="swatch views"></span>views (left axis)
              </span>
              <span>
                <span class="swatch revenue"></span>revenue (right axis)
              </span>
            </div>
            <UsageChart days={usage.days} />
            <p class="small muted">
              Views count every page answered 2xx (free, paid and re-views); revenue is what paid views were charged. Summaries reach KV
              within 30 seconds of a view. A day without a summary had no views.
            </p>
            {usage.unreadableDays.length > 0 ? (
              <p class="alert small">The summaries of {usage.unreadableDays.join(', ')} could not be read and count as zero.</p>
            ) : null}
          </div>
          <div class="card">
            <h2>Top-earning paths</h2>
            {usage.topPaths.length === 0 ? (
              <p class="muted">No paid views in this range.</p>
            ) : (
              <table data-testid="top-paths">
                <thead>
                  <tr>
                    <th>Path</th>
                    <th class="num">Paid views</th>
                    <th class="num">Revenue</th>
                  </tr>
                </thead>
                <tbody>
                  {usage.topPaths.map((p) => (
                    <tr>
                      <td>
                        <code>{p.path}</code>
                      </td>
                      <td class="num">{p.paidViews.toLocaleString('en-US')}</td>
                      <td class="num">{usdForPeople(p.revenueMicros)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <p class="small muted">Summed over each day's top paths, so a path that never made a day's top list is not counted here.</p>
          </div>
          <details class="card">
            <summary>The numbers, day by day</summary>
            <table>
              <thead>
                <tr>
                  <th>Day</th>
                  <th class="num">Views</th>
                  <th class="num">Paid views</th>
                  <th class="num">Revenue</th>
                </tr>
              </thead>
              <tbody>
                {usage.days.map((d) => (
                  <tr data-testid={`day-${d.date}`}>
                    <td>{d.date}</td>
                    <td class="num">{d.views.toLocaleString('en-US')}</td>
                    <td class="num">{d.paidViews.toLocaleString('en-US')}</td>
                    <td class="num">{usdForPeople(d.revenueMicros)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      ) : null}
    </AdminLayout>
  );
}
