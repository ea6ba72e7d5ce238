import type { ReaderInDebt } from '../stripe/readers-in-debt';
import { AdminLayout } from './admin-layout';
import { usdForPeople } from '../money';

/** The operator's list of wallets that a card refund or chargeback took below zero. */
export function DebtsPage(props: { nonce: string; readers: ReaderInDebt[] }) {
  return (
    <AdminLayout title="Wallets in debt" nonce={props.nonce} signedIn>
      <h1>Wallets in debt</h1>
      <p class="muted">
        A card top-up refunded or disputed after it was spent leaves the wallet below zero. Such a wallet pays for no view until its reader
        tops up; the next top-up pays the debt first.
      </p>
      {props.readers.length === 0 ? (
        <p data-testid="no-debts">No wallet is in debt.</p>
      ) : (
        <table data-testid="debts">
          <thead>
            <tr>
              <th>Reader</th>
              <th class="num">Balance</th>
              <th>In debt since (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {props.readers.map((r) => (
              <tr>
                <td class="small">{r.readerId}</td>
                <td class="num">{usdForPeople(r.balanceMicros)}</td>
                <td class="small">{r.since.replace('T', ' ').slice(0, 19)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </AdminLayout>
  );
}
