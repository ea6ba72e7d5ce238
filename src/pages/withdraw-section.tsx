import { usdForPeople } from '../money';

/**
 * "Withdraw unspent money": what card top-ups brought in and is not yet spent goes back
 * to the card through Stripe. Demo top-ups and credits cannot be withdrawn, and the
 * section says so rather than offering a button that would fail.
 */
export function WithdrawSection(props: {
  withdrawableMicros: number;
  returnTo: string | null;
  error: string | null;
  typed?: string | undefined;
}) {
  const { withdrawableMicros: max } = props;
  return (
    <section class="card" id="withdraw" aria-labelledby="withdraw-heading">
      <h2 id="withdraw-heading">Withdraw unspent money</h2>
      {max === 0 ? (
        <p class="hint" data-testid="withdrawable">
          Nothing to withdraw: only unspent money from card top-ups can go back to your card. Demo top-ups and credits stay in your balance.
        </p>
      ) : (
        <form method="post" action="/__paywall/account/withdraw" novalidate>
          {props.returnTo && <input type="hidden" name="return" value={props.returnTo} />}
          <label for="withdraw-amount">Amount in dollars</label>
          <p class="hint" id="withdraw-hint" data-testid="withdrawable">
            Up to {usdForPeople(max)} can be refunded to the card you paid with; it arrives in 5 to 10 business days.
          </p>
          {props.error && (
            <p class="field-error" id="withdraw-error">
              {props.error}
            </p>
          )}
          <div class="field-row">
            <input
              id="withdraw-amount"
              name="amount"
              inputmode="decimal"
              autocomplete="off"
              value={props.typed ?? usdForPeople(max).slice(1)}
              aria-describedby={props.error ? 'withdraw-hint withdraw-error' : 'withdraw-hint'}
              aria-invalid={props.error ? 'true' : undefined}
            />
            <button type="submit">Refund to my card</button>
          </div>
        </form>
      )}
    </section>
  );
}
