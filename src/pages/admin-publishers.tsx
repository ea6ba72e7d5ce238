import type { Child } from 'hono/jsx';
import type { Owed } from '../publishers/amount-owed';
import type { Publisher } from '../publishers/publisher-types';
import { AdminLayout } from './admin-layout';
import { usdForPeople } from '../money';

export type PublisherRow = { publisher: Publisher; owed: Owed | null };

/** Publishers, what each is owed, and their monthly statements to download (the operator's view). */
export function PublishersPage(props: { nonce: string; rows: PublisherRow[]; months: string[]; newForm?: Child }) {
  return (
    <AdminLayout title="Publishers" nonce={props.nonce} signedIn>
      <h1>Publishers</h1>
      <div class="card">
        <h2>What each publisher is owed</h2>
        {props.rows.length === 0 ? (
          <p class="muted">No publisher yet: create one below.</p>
        ) : (
          <table data-testid="publishers">
            <thead>
              <tr>
                <th>Publisher</th>
                <th>Hosts</th>
                <th class="num">Earned, net of fee</th>
                <th class="num">Paid out</th>
                <th class="num">Owed</th>
                <th>Statements (CSV)</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map(({ publisher: p, owed }) => (
                <tr data-testid={`publisher-${p.publisherId}`}>
                  <td>
                    <a href={`/__paywall/admin/publishers/${p.publisherId}`}>{p.name}</a>
                    <br />
                    <code class="small">{p.publisherId}</code>
                  </td>
                  <td>
                    {p.hosts.map((h) => (
                      <div>
                        <a href={`/__paywall/admin/sites/${h}`}>{h}</a>
                      </div>
                    ))}
                  </td>
                  <td class="num">{owed ? usdForPeople(owed.accruedMicros) : 'unreadable'}</td>
                  <td class="num">{owed ? usdForPeople(owed.paidMicros) : ''}</td>
                  <td class="num" data-testid="owed">
                    <strong>{owed ? usdForPeople(owed.owedMicros) : ''}</strong>
                  </td>
                  <td>
                    {props.months.map((m) => (
                      <div>
                        <a href={`/__paywall/admin/publishers/${p.publisherId}/statements/${m}.csv`} download>
                          Statement {m}
                        </a>
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p class="muted small">
          Earned is each month's net revenue less the platform fee, from the month the publisher was created; payouts are recorded with POST
          /__paywall/api/admin/publishers/&lt;id&gt;/payouts.
        </p>
      </div>
      {props.newForm ?? null}
    </AdminLayout>
  );
}
