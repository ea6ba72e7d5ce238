import { formatUsd } from './format';

/** Which ways to add money this worker offers: Stripe Checkout, and the demo's free top-up. */
export type TopUpOptions = { card: boolean; dev: boolean };

export function topUpOptionsOf(env: Env): TopUpOptions {
  return { card: Boolean(env.STRIPE_SECRET_KEY), dev: env.DEV_TOPUP === 'true' };
}

/** One form per amount, so each top-up is a single click (and works without script). */
export function TopUpButtons(props: {
  options: TopUpOptions;
  returnTo: string | null;
  amounts: { card: number[]; dev: number[] };
  labelledBy: string;
}) {
  const { card, dev } = props.options;
  if (!card && !dev) return <p>Top-ups are not available on this site yet.</p>;
  const returnField = props.returnTo ? <input type="hidden" name="return" value={props.returnTo} /> : null;
  return (
    <div class="actions" role="group" aria-labelledby={props.labelledBy}>
      {card &&
        props.amounts.card.map((micros) => (
          <form method="post" action="/__paywall/account/topup">
            <input type="hidden" name="amount" value={formatUsd(micros).slice(1)} />
            {returnField}
            <button type="submit">Add {formatUsd(micros)} with a card</button>
          </form>
        ))}
      {dev &&
        props.amounts.dev.map((micros) => (
          <form method="post" action="/__paywall/account/dev-topup">
            <input type="hidden" name="amount" value={formatUsd(micros).slice(1)} />
            {returnField}
            <button type="submit" class={card ? 'secondary' : undefined}>
              Add {formatUsd(micros)} (demo top-up, no card)
            </button>
          </form>
        ))}
    </div>
  );
}
