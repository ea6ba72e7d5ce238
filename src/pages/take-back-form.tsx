import { TAKE_BACK_REASONS } from '../usage/take-back-reasons';

/** One click to take a view back, with the reason picked beside it (no script needed). */
export function TakeBackForm(props: { receipt: string; idSuffix: string; compact?: boolean }) {
  const id = `take-back-reason-${props.idSuffix}`;
  return (
    <form method="post" action={`/__paywall/account/receipts/${encodeURIComponent(props.receipt)}/take-back`} class="take-back">
      <label for={id} class={props.compact ? 'visually-hidden' : undefined}>
        Why take it back?
      </label>
      <div class="field-row">
        <select id={id} name="reason">
          {Object.entries(TAKE_BACK_REASONS).map(([value, label]) => (
            <option value={value}>{label}</option>
          ))}
        </select>
        <button type="submit" class="secondary">
          Take back
        </button>
      </div>
    </form>
  );
}
