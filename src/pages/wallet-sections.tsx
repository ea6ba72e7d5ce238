import { RemovableRow } from './removable-row';
import { PASSKEYS_SCRIPT_PATH } from './passkeys-script';

export type PasskeySummary = { id: string; name: string; createdAt: number; lastUsedAt: number | null; backedUp: boolean };
export type ConnectedSite = { host: string; connectedAt: number; spentTodayMicros: number; lastChargeAt: number | null };

/** What the wallet host's account page adds: how the reader signs in, and who may charge them. */
export type WalletSectionsProps = {
  passkeys: PasskeySummary[];
  connections: ConnectedSite[];
  hasRecoveryCode: boolean;
  /** A recovery code just made: shown this once, never stored in the clear. */
  newRecoveryCode: string | null;
  usdForPeople: (micros: number) => string;
};

const when = (ms: number | null) => (ms === null ? 'never' : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`);

/**
 * Shown above the top-up while the wallet has no passkey: a balance only one browser can reach is easy to lose.
 * `thisDevice`: the wallet has passkeys elsewhere (the reader came in with a recovery code), so it asks for one here.
 * `quiet`: beside another decision (the consent), it is offered without competing with it for the eye.
 */
export function ProtectBalance(props: { next: string | null; thisDevice?: boolean; quiet?: boolean }) {
  return (
    <section class={props.quiet ? 'card' : 'card highlight'} aria-labelledby="protect-heading" data-testid="protect-balance">
      <h2 id="protect-heading">{props.thisDevice ? 'Add a passkey for this device' : 'Protect your balance'}</h2>
      {props.thisDevice ? (
        <p>
          Your passkeys are on your other devices. Add one here (your fingerprint, face or device PIN) to sign in on this device without a
          code next time.
        </p>
      ) : (
        <p>
          Right now only this browser can reach your wallet. Add a passkey (your fingerprint, face or device PIN) to sign in on your phone
          and other computers, and to get your balance back if this browser forgets you.
        </p>
      )}
      <p class="actions">
        <button type="button" data-passkey-action="register" data-next={props.next ?? ''} class={props.quiet ? 'secondary' : undefined}>
          Add a passkey
        </button>
      </p>
      <p class="field-error" role="alert" data-passkey-error hidden />
    </section>
  );
}

export function RecoveryCodeNotice(props: { code: string }) {
  return (
    <section class="card highlight" aria-labelledby="recovery-heading" data-testid="recovery-code">
      <h2 id="recovery-heading">Your recovery code</h2>
      <p>Write it down or keep it in your password manager. It signs you in on a device without your passkey; it is shown only now.</p>
      <p class="recovery-code">
        <code data-testid="recovery-code-value">{props.code}</code>
      </p>
      <p class="hint">Using it gives you a new code, and asks you for a new passkey.</p>
    </section>
  );
}

export function WalletSections(p: WalletSectionsProps) {
  return (
    <>
      <section class="card" id="sites" aria-labelledby="sites-heading">
        <h2 id="sites-heading">Sites that may charge you</h2>
        {p.connections.length === 0 ? (
          <p>None yet. A site appears here once you continue to it with your wallet.</p>
        ) : (
          <ul class="plain-list">
            {p.connections.map((s) => (
              <RemovableRow
                testId={`site-${s.host}`}
                action="/__paywall/account/disconnect"
                field="host"
                value={s.host}
                name={s.host}
                detail={`spent today ${p.usdForPeople(s.spentTodayMicros)}, last charge ${when(s.lastChargeAt)}`}
                button="Disconnect"
                label={`Disconnect ${s.host}`}
              />
            ))}
          </ul>
        )}
      </section>

      <section class="card" id="passkeys" aria-labelledby="passkeys-heading">
        <h2 id="passkeys-heading">Passkeys</h2>
        {p.passkeys.length === 0 ? (
          <p>No passkey yet.</p>
        ) : (
          <ul class="plain-list">
            {p.passkeys.map((k) => (
              <RemovableRow
                testId="passkey"
                action="/__paywall/account/passkeys/remove"
                field="id"
                value={k.id}
                name={k.name}
                detail={`added ${when(k.createdAt)}, last used ${when(k.lastUsedAt)}${k.backedUp ? ', synced' : ''}`}
                button="Remove"
                label={`Remove passkey ${k.name}`}
              />
            ))}
          </ul>
        )}
        <p class="actions">
          <button type="button" data-passkey-action="register" class={p.passkeys.length === 0 ? undefined : 'secondary'}>
            Add a passkey
          </button>
        </p>
        <p class="field-error" role="alert" data-passkey-error hidden />
        <h3 id="recovery-code-heading">Recovery code</h3>
        <p class="hint">
          {p.hasRecoveryCode
            ? 'You have a recovery code. Making a new one makes the old one stop working.'
            : 'None yet. A recovery code gets you back in on a device without your passkey.'}
        </p>
        <form method="post" action="/__paywall/account/recovery-code" class="actions">
          <button type="submit" class="secondary">
            {p.hasRecoveryCode ? 'Make a new recovery code' : 'Make a recovery code'}
          </button>
        </form>
      </section>

      <script src={PASSKEYS_SCRIPT_PATH} defer />
    </>
  );
}

/** Last on the wallet page: ending this session, or every session and every site's token. */
export function SignOutSection() {
  return (
    <section class="card" id="sign-out" aria-labelledby="sign-out-heading">
      <h2 id="sign-out-heading">Sign out</h2>
      <div class="actions">
        <form method="post" action="/__paywall/account/sign-out">
          <button type="submit" class="secondary">
            Sign out of this browser
          </button>
        </form>
        <form method="post" action="/__paywall/account/sign-out-everywhere">
          <button type="submit" class="secondary">
            Sign out everywhere
          </button>
        </form>
      </div>
      <p class="hint">Signing out everywhere ends every signed-in browser and disconnects every site; your balance stays.</p>
    </section>
  );
}
