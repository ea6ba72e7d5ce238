import type { PathTakeBacks } from '../usage/take-back-log';
import { TAKE_BACK_REASONS, isTakeBackReason } from '../usage/take-back-reasons';
import { AdminLayout } from './admin-layout';
import { usdForPeople } from '../money';

const label = (reason: string) => (isTakeBackReason(reason) ? TAKE_BACK_REASONS[reason] : reason);

/** What readers took back on one site, per path, and why: for the publisher. */
export function TakeBacksPage(props: { nonce: string; host: string; from: string; to: string; paths: PathTakeBacks[] }) {
  return (
    <AdminLayout title={`Views taken back · ${props.host}`} nonce={props.nonce} signedIn>
      <h1>Views taken back on {props.host}</h1>
      <p class="muted">
        {props.from} to {props.to} (UTC). A reader may take a view back within 10 minutes of paying, a few times a month; it leaves the
        usage and revenue figures like any refund.
      </p>
      {props.paths.length === 0 ? (
        <p data-testid="no-take-backs">No view was taken back in these days.</p>
      ) : (
        <table data-testid="take-backs">
          <thead>
            <tr>
              <th>Path</th>
              <th class="num">Taken back</th>
              <th class="num">Amount</th>
              <th>Reasons</th>
            </tr>
          </thead>
          <tbody>
            {props.paths.map((p) => (
              <tr>
                <td>
                  <code>{p.path}</code>
                </td>
                <td class="num">{p.count}</td>
                <td class="num">{usdForPeople(p.amountMicros)}</td>
                <td class="small">
                  {Object.entries(p.reasons)
                    .sort((a, b) => b[1] - a[1])
                    .map(([reason, n]) => `${label(reason)}: ${n}`)
                    .join(' · ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <a href={`/__paywall/admin/sites/${props.host}/revenue`}>Revenue of {props.host}</a>
      </p>
    </AdminLayout>
  );
}
