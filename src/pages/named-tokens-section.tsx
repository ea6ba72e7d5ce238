import { RemovableRow } from './removable-row';

export type NamedTokenRow = {
  id: string;
  name: string;
  dailyCapMicros: number | null;
  createdAt: number;
  spentTodayMicros: number;
  lastChargeAt: number | null;
};

/** Bearer tokens for the reader's own scripts: each named, each with its own daily cap, each revocable. */
export function NamedTokensSection(p: {
  tokens: NamedTokenRow[];
  /** A token just made: shown this once. */
  newToken: { name: string; token: string } | null;
  error: string | null;
  usdForPeople: (micros: number) => string;
}) {
  return (
    <section class="card" id="tokens" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">Tokens for your scripts</h2>
      <p class="hint">
        A crawler that signs its requests (Web Bot Auth) needs no token: <a href="/__paywall/account/crawlers">link its key</a> instead.
      </p>
      <p class="hint">
        For a script or agent of yours that reads for you: it sends the token as <code>Authorization: Bearer …</code>, pays from this wallet
        on every site, within its own daily cap, and can change nothing.
      </p>
      {p.newToken && (
        <div class="notice" role="status" data-testid="new-token">
          <p>
            Token <strong>{p.newToken.name}</strong>, shown only now:
          </p>
          <p>
            <code data-testid="new-token-value">{p.newToken.token}</code>
          </p>
        </div>
      )}
      {p.tokens.length > 0 && (
        <ul class="plain-list">
          {p.tokens.map((t) => (
            <RemovableRow
              testId="named-token"
              action="/__paywall/account/tokens/revoke"
              field="id"
              value={t.id}
              name={t.name}
              detail={`${t.dailyCapMicros === null ? 'no cap of its own' : `cap ${p.usdForPeople(t.dailyCapMicros)} a day`}, spent today ${p.usdForPeople(t.spentTodayMicros)}`}
              button="Revoke"
              label={`Revoke token ${t.name}`}
            />
          ))}
        </ul>
      )}
      <form method="post" action="/__paywall/account/tokens" novalidate>
        {p.error && (
          <p class="field-error" id="token-error">
            {p.error}
          </p>
        )}
        <div class="field-row">
          <div>
            <label for="token-name">Name</label>
            <input id="token-name" name="name" maxlength={60} autocomplete="off" aria-invalid={p.error ? 'true' : undefined} required />
          </div>
          <div>
            <label for="token-cap">Daily cap (USD, optional)</label>
            <input id="token-cap" name="dailyCap" inputmode="decimal" autocomplete="off" />
          </div>
          <button type="submit" class="secondary">
            Make a token
          </button>
        </div>
      </form>
    </section>
  );
}
