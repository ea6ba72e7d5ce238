import type { Child } from 'hono/jsx';

/**
 * One row of a list the reader manages (a connected site, a passkey, a token, a crawler
 * link): its name, a line of detail, and a button posting its id to remove it.
 */
export function RemovableRow(p: {
  testId: string;
  action: string;
  field: string;
  value: string;
  name: string;
  detail: Child;
  button: string;
  label: string;
}) {
  return (
    <li data-testid={p.testId}>
      <form method="post" action={p.action} class="row-form">
        <span>
          <strong>{p.name}</strong>
          <span class="hint"> {p.detail}</span>
        </span>
        <input type="hidden" name={p.field} value={p.value} />
        <button type="submit" class="secondary" aria-label={p.label}>
          {p.button}
        </button>
      </form>
    </li>
  );
}
