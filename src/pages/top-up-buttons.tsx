import { usdForPeople } from '../money';

/** Which ways to add money this worker offers: Stripe Checkout, and the demo's free top-up. */
export type TopUpOptions = { card: boolean; dev: boolean };

export function topUpOptionsOf(env: Env): TopUpOptions {
  return { card: Boolean(env.STRIPE_SECRET_KEY), dev: env.DEV_TOPUP === 'true' };
}

/**
 * One form per amount, so each top-up is a single click (and works without script).
 * Each kind of top-up is a labelled group, so "Add $1.00" is announced with its kind.
 */
export function TopUpButtons(props: {
  options: TopUpOptions;
  returnTo: string | null;
  amounts: { card: number[]; dev: number[] };
  idPrefix: string;
}) {
  const { card, dev } = props.options;
  if (!card && !dev) return <p>Top-ups are not available on this site yet.</p>;
  return (
    <>
      {card && (
        <Group
          id={`${props.idPrefix}-card`}
          label="With a card (Stripe Checkout)"
          action="/__paywall/account/topup"
          amounts={props.amounts.card}
          returnTo={props.returnTo}
        />
      )}
      {dev && (
        <Group
          id={`${props.idPrefix}-dev`}
          label="Demo top-up: free, no card (only in the demo)"
          action="/__paywall/account/dev-topup"
          amounts={props.amounts.dev}
          returnTo={props.returnTo}
          secondary={card}
        />
      )}
    </>
  );
}

function Group(props: { id: string; label: string; action: string; amounts: number[]; returnTo: string | null; secondary?: boolean }) {
  return (
    // biome-ignore lint/a11y/useSemanticElements: a fieldset would bring its own border and legend layout to a row of buttons
    <div class="topup-group" role="group" aria-labelledby={props.id}>
      <p class="group-label" id={props.id}>
        {props.label}
      </p>
      <div class="actions">
        {props.amounts.map((micros) => (
          <form method="post" action={props.action}>
            <input type="hidden" name="amount" value={usdForPeople(micros).slice(1)} />
            {props.returnTo && <input type="hidden" name="return" value={props.returnTo} />}
            <button type="submit" class={props.secondary ? 'secondary' : undefined}>
              Add {usdForPeople(micros)}
            </button>
          </form>
        ))}
      </div>
    </div>
  );
}
