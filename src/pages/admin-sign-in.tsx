import { PASSKEYS_SCRIPT_PATH } from './passkeys-script';
import { AdminLayout } from './admin-layout';

const CONSOLE_PASSKEYS = '/__paywall/admin/passkeys';

/**
 * The console's sign-in: a publisher's people with their passkey; the operator with the
 * admin token (the break-glass way in, folded away unless it is what failed).
 */
export function SignInPage(props: { nonce: string; next: string; error?: string }) {
  return (
    <AdminLayout title="Sign in" nonce={props.nonce} signedIn={false} scriptSrc={PASSKEYS_SCRIPT_PATH}>
      <div class="card narrow">
        <h1>Sign in</h1>
        <p class="muted">Sign in with the passkey you made when you accepted your invite.</p>
        <p class="alert" role="alert" data-passkey-error hidden />
        <div class="actions">
          <button
            type="button"
            data-passkey-action="sign-in"
            data-passkey-endpoint={CONSOLE_PASSKEYS}
            data-next={props.next}
            data-passkey-cancelled="Cancelled, or no passkey for this console on this device. No passkey yet? Ask for an invite link."
          >
            Sign in with a passkey
          </button>
        </div>
        <p class="muted small">No passkey yet? Ask your publisher's owner, or the operator, for an invite link.</p>
        <details class="break-glass" open={props.error ? true : undefined}>
          <summary>Operator: sign in with the admin token</summary>
          <p class="muted">
            Paste the admin token: the <code>ADMIN_TOKEN</code> secret of this worker (in the local demo, <code>demo-admin-token</code>).
          </p>
          {props.error ? (
            <p class="alert" role="alert" id="sign-in-error">
              {props.error}
            </p>
          ) : null}
          <form method="post" action="/__paywall/admin/sign-in">
            <input type="hidden" name="next" value={props.next} />
            <label for="token">Admin token</label>
            <input
              class="wide"
              id="token"
              name="token"
              type="password"
              autocomplete="current-password"
              aria-invalid={props.error ? 'true' : undefined}
              aria-describedby={props.error ? 'sign-in-error' : undefined}
            />
            <div class="actions">
              <button type="submit" class="secondary">
                Sign in with the token
              </button>
            </div>
          </form>
        </details>
      </div>
    </AdminLayout>
  );
}

/** A console page that could not be served, said plainly. */
export function ConsoleMessagePage(props: { nonce: string; signedIn: boolean; title: string; message: string }) {
  return (
    <AdminLayout title={props.title} nonce={props.nonce} signedIn={props.signedIn}>
      <div class="card narrow">
        <h1>{props.title}</h1>
        <p role="alert">{props.message}</p>
        <p>
          <a href="/__paywall/admin">Back to the console</a>
        </p>
      </div>
    </AdminLayout>
  );
}
