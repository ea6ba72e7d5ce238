import type { LedgerEntry } from '../wallet/ledger-entry';
import type { WalletSummary } from '../wallet/wallet-types';
import { AdminLayout } from './admin-layout';
import { usdForPeople } from '../money';

const CONSOLE = '/__paywall/admin';

/** Look a reader up by id (the operator's reader support). */
export function ReaderLookupPage(props: { nonce: string; value?: string; error?: string }) {
  return (
    <AdminLayout title="Readers" nonce={props.nonce} signedIn>
      <h1>Readers</h1>
      <div class="card">
        <h2>Look a reader up</h2>
        <p class="muted small">Every look at a reader's wallet is written to the audit log.</p>
        <form method="get" action={`${CONSOLE}/readers`} novalidate>
          <label for="reader-id">Reader id</label>
          <div class="preview-row">
            <input
              id="reader-id"
              name="id"
              value={props.value ?? ''}
              placeholder="r_…"
              aria-invalid={props.error ? 'true' : undefined}
              aria-describedby={props.error ? 'reader-id-error' : undefined}
            />
            <button type="submit" class="secondary">
              Look up
            </button>
          </div>
          {props.error ? (
            <p class="field-error" id="reader-id-error">
              {props.error}
            </p>
          ) : null}
        </form>
      </div>
    </AdminLayout>
  );
}

export type MoveForm = {
  toReaderId: string;
  reason: string;
  key: string;
  errors: Partial<Record<'toReaderId' | 'reason' | 'form', string>>;
};

/** One reader: balance, recent ledger, and moving their whole balance to another reader. */
export function ReaderPage(props: { nonce: string; summary: WalletSummary; entries: LedgerEntry[]; move: MoveForm; moved?: string }) {
  const r = props.summary;
  const e = props.move.errors;
  const described = (field: 'toReaderId' | 'reason') =>
    e[field] ? { 'aria-invalid': 'true' as const, 'aria-describedby': `${field}-error` } : {};
  return (
    <AdminLayout title={`Reader ${r.readerId}`} nonce={props.nonce} signedIn>
      <h1>
        Reader <code>{r.readerId}</code>
      </h1>
      {props.moved ? (
        <p class="notice" role="status">
          {props.moved}
        </p>
      ) : null}
      <div class="totals">
        <div>
          Balance<strong data-testid="balance">{usdForPeople(r.balanceMicros)}</strong>
        </div>
        <div>
          Daily cap<strong>{r.dailyCapMicros === null ? 'none' : usdForPeople(r.dailyCapMicros)}</strong>
        </div>
      </div>
      <div class="card">
        <h2>Move the balance to another reader</h2>
        <p class="muted small">
          Everything this reader has free moves to the other wallet (a transfer, never a copy), for example when one person has two wallets.
          It is written to the audit log with your reason.
        </p>
        {e.form ? (
          <p class="alert" role="alert">
            {e.form}
          </p>
        ) : null}
        <form method="post" action={`${CONSOLE}/readers/${r.readerId}/move`} novalidate>
          <input type="hidden" name="key" value={props.move.key} />
          <label for="toReaderId">To reader id</label>
          <input
            id="toReaderId"
            name="toReaderId"
            class="wide"
            value={props.move.toReaderId}
            placeholder="r_…"
            {...described('toReaderId')}
          />
          {e.toReaderId ? (
            <p class="field-error" id="toReaderId-error">
              {e.toReaderId}
            </p>
          ) : null}
          <label for="reason">Reason</label>
          <input id="reason" name="reason" class="wide" value={props.move.reason} maxlength={500} {...described('reason')} />
          {e.reason ? (
            <p class="field-error" id="reason-error">
              {e.reason}
            </p>
          ) : null}
          <div class="actions">
            <button type="submit" class="danger">
              Move {usdForPeople(Math.max(0, r.balanceMicros))}
            </button>
          </div>
        </form>
      </div>
      <div class="card">
        <h2>Recent ledger</h2>
        {props.entries.length === 0 ? (
          <p class="muted">No entries.</p>
        ) : (
          <table data-testid="ledger">
            <thead>
              <tr>
                <th>When (UTC)</th>
                <th>What</th>
                <th>Where</th>
                <th class="num">Amount</th>
                <th class="num">Balance after</th>
              </tr>
            </thead>
            <tbody>
              {props.entries.map((x) => (
                <tr>
                  <td>{x.at.slice(0, 16).replace('T', ' ')}</td>
                  <td>
                    {x.type}
                    {x.reason ? <div class="muted small">{x.reason}</div> : null}
                  </td>
                  <td>{x.host ? `${x.host}${x.path ?? ''}` : ''}</td>
                  <td class="num">{usdForPeople(x.amountMicros)}</td>
                  <td class="num">{usdForPeople(x.balanceAfterMicros)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </AdminLayout>
  );
}
