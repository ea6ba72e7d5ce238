import type { ReceiptView } from '../wallet/wallet-types';
import { usdForPeople } from '../money';
import { Layout } from './layout';
import { TakeBackForm } from './take-back-form';

/** A charge's receipt: what was paid, for what, and the way to take it back while that is allowed. */
export function ReceiptPage(props: { receipt: ReceiptView; error: string | null }) {
  const { entry, takenBack, takeBackUntil, takeBacksLeft } = props.receipt;
  const open = !takenBack && Date.parse(takeBackUntil) > Date.now() && takeBacksLeft > 0;
  return (
    <Layout title="Receipt">
      <h1>Receipt</h1>
      <section class="card" aria-labelledby="receipt-heading">
        <h2 id="receipt-heading">{usdForPeople(entry.amountMicros)} paid</h2>
        <dl class="receipt">
          <dt>For</dt>
          <dd>
            <code>{entry.path}</code> on {entry.host}
          </dd>
          <dt>When</dt>
          <dd>
            <time datetime={entry.at}>{entry.at.replace('T', ' ').slice(0, 16)} UTC</time>
          </dd>
          <dt>Receipt</dt>
          <dd>
            <code class="nowrap">{entry.id}</code>
          </dd>
          <dt>Balance now</dt>
          <dd data-testid="balance">{usdForPeople(props.receipt.balanceMicros)}</dd>
        </dl>
        {props.error && (
          <p class="error" role="alert">
            {props.error}
          </p>
        )}
        {takenBack ? (
          <p class="notice" role="status" data-testid="taken-back">
            You took this view back: {usdForPeople(entry.amountMicros)} is back in your balance.
          </p>
        ) : open ? (
          <>
            <p class="hint">
              Charged by mistake? Take it back until {takeBackUntil.slice(11, 16)} UTC ({takeBacksLeft} left this month).
            </p>
            <TakeBackForm receipt={entry.id} idSuffix="receipt" />
          </>
        ) : (
          <p class="hint" data-testid="take-back-closed">
            {takeBacksLeft === 0
              ? 'You have taken back as many views as a month allows.'
              : 'A view can be taken back only within 10 minutes of its charge.'}
          </p>
        )}
      </section>
      <p>
        <a href="/__paywall/account">Your account and history</a>
      </p>
    </Layout>
  );
}
