import { AdminLayout } from './admin-layout';

export function SignInPage(props: { nonce: string; next: string; error?: string }) {
  return (
    <AdminLayout title="Sign in" nonce={props.nonce} signedIn={false}>
      <div class="card narrow">
        <h1>Sign in</h1>
        <p class="muted">Paste the admin token: the <code>ADMIN_TOKEN</code> secret of this worker (in the local demo, <code>demo-admin-token</code>).</p>
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
            autofocus
            aria-invalid={props.error ? 'true' : undefined}
            aria-describedby={props.error ? 'sign-in-error' : undefined}
          />
          <div class="actions">
            <button type="submit">Sign in</button>
          </div>
        </form>
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
