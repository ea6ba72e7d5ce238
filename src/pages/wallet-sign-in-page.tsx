import { Layout } from './layout';
import { PASSKEYS_SCRIPT_PATH } from './passkeys-script';

export type SignInProps = {
  /** Where to go once signed in: a path on the wallet host (the connect step), or null for the account. */
  next: string | null;
  /** The publisher the reader came from, named in the headline. */
  site: string | null;
  error: string | null;
  /** The publisher's article the reader came from, for a way back without signing in. */
  back?: string | null;
};

/**
 * The wallet host's front door. Passkey sign-in needs script (WebAuthn); creating a
 * wallet and using a recovery code are plain forms, so a reader without script can
 * still read and pay.
 */
export function WalletSignInPage(props: SignInProps) {
  const next = props.next ?? '';
  return (
    <Layout title="Your reading wallet" back={props.back && props.site ? { href: props.back, label: `← Back to ${props.site}` } : null}>
      <h1>{props.site ? `Continue to ${props.site} with your wallet` : 'Your reading wallet'}</h1>
      <p class="lead">One prepaid balance for every site on this network: top up once, then each article costs a fraction of a cent.</p>
      {props.error && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
      <section class="card" aria-labelledby="sign-in-heading">
        <h2 id="sign-in-heading">I have a wallet</h2>
        <p>Sign in with the passkey you made for it: your fingerprint, face or device PIN. No password, no email.</p>
        <p class="actions">
          <button
            type="button"
            data-passkey-action="sign-in"
            data-next={next}
            data-passkey-cancelled="Cancelled, or no passkey for this wallet on this device. You can use your recovery code instead."
            data-passkey-unsupported="This browser cannot use passkeys: use your recovery code, or another browser."
          >
            Sign in with a passkey
          </button>
        </p>
        <p class="field-error" role="alert" data-passkey-error hidden />
        <details>
          <summary>Use a recovery code instead</summary>
          <form method="post" action="/__paywall/account/recover" novalidate>
            {props.next && <input type="hidden" name="next" value={props.next} />}
            <label for="recovery-code">Recovery code</label>
            <p class="hint" id="recovery-code-hint">
              The code you saved when you made your wallet. You will be asked for a new passkey, and given a new code.
            </p>
            <div class="field-row">
              <input
                id="recovery-code"
                name="code"
                autocomplete="one-time-code"
                spellcheck={false}
                aria-describedby="recovery-code-hint"
                required
              />
              <button type="submit" class="secondary">
                Use the code
              </button>
            </div>
          </form>
        </details>
      </section>
      <section class="card" aria-labelledby="create-heading">
        <h2 id="create-heading">I am new here</h2>
        <p>
          Make a wallet in one click. You will then be offered a passkey, so that you can sign in on your other devices and never lose your
          balance.
        </p>
        <form method="post" action="/__paywall/account/create" class="actions">
          {props.next && <input type="hidden" name="next" value={props.next} />}
          <button type="submit">Create a wallet</button>
        </form>
        <p class="hint">We store no name and no email: only your balance, its history and your passkeys' public keys.</p>
      </section>
      <script src={PASSKEYS_SCRIPT_PATH} defer />
    </Layout>
  );
}
