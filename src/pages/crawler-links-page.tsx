import type { CrawlerLink } from '../crawlers/crawler-links';
import { Layout } from './layout';
import { RemovableRow } from './removable-row';

export type CrawlerLinksProps = {
  links: CrawlerLink[];
  notice: string | null;
  error: { field: 'jwk' | 'directory' | null; message: string } | null;
  typed: { jwk?: string; directory?: string; label?: string };
};

/**
 * The wallet host's page for crawler operators: the keys (or key directories) whose signed
 * requests pay from this wallet (Web Bot Auth). Plain forms; the same links as the API.
 */
export function CrawlerLinksPage(p: CrawlerLinksProps) {
  return (
    <Layout title="Crawlers that pay from your wallet" back={{ href: '/__paywall/account', label: '← Your wallet' }}>
      <h1>Crawlers that pay from your wallet</h1>
      <p class="lead">
        A crawler that signs its requests (Web Bot Auth) pays from this wallet by its signature alone, once its key is linked here. It
        states its price with <code>crawler-max-price</code> and gets a receipt in <code>crawler-charged</code>.
      </p>
      {p.notice && (
        <p class="notice" role="status" data-testid="notice">
          {p.notice}
        </p>
      )}
      {p.error && p.error.field === null && (
        <p class="error" role="alert">
          {p.error.message}
        </p>
      )}
      <section class="card" aria-labelledby="linked-heading">
        <h2 id="linked-heading">Linked</h2>
        {p.links.length === 0 ? (
          <p>No crawler is linked yet.</p>
        ) : (
          <ul class="plain-list">
            {p.links.map((l) => (
              <RemovableRow
                testId="crawler-link"
                action="/__paywall/account/crawlers/unlink"
                field="id"
                value={l.id}
                name={l.label}
                detail={`${l.kind === 'key' ? `key ${l.keyid}` : `every key of ${l.directory}`}, linked ${l.linkedAt.slice(0, 16).replace('T', ' ')} UTC${l.linkedBy === 'operator' ? ' by support' : ''}`}
                button="Unlink"
                label={`Unlink ${l.label}`}
              />
            ))}
          </ul>
        )}
      </section>
      <section class="card" aria-labelledby="link-heading">
        <h2 id="link-heading">Link a crawler</h2>
        <form method="post" action="/__paywall/account/crawlers/link" novalidate>
          <label for="crawler-directory">Its key directory (the URL it sends as Signature-Agent)</label>
          <p class="hint" id="crawler-directory-hint">
            Every key the directory publishes then pays, including keys it rotates to later.
          </p>
          {p.error?.field === 'directory' && (
            <p class="field-error" id="crawler-directory-error">
              {p.error.message}
            </p>
          )}
          <input
            id="crawler-directory"
            name="directory"
            inputmode="url"
            autocomplete="off"
            class="wide"
            value={p.typed.directory ?? ''}
            aria-describedby={p.error?.field === 'directory' ? 'crawler-directory-hint crawler-directory-error' : 'crawler-directory-hint'}
            aria-invalid={p.error?.field === 'directory' ? 'true' : undefined}
          />
          <label for="crawler-jwk">Or one public key, as a JWK</label>
          <p class="hint" id="crawler-jwk-hint">
            An Ed25519 public key: <code>{'{"kty":"OKP","crv":"Ed25519","x":"…"}'}</code>. Never paste the private key.
          </p>
          {p.error?.field === 'jwk' && (
            <p class="field-error" id="crawler-jwk-error">
              {p.error.message}
            </p>
          )}
          <textarea
            id="crawler-jwk"
            name="jwk"
            rows={3}
            spellcheck={false}
            aria-describedby={p.error?.field === 'jwk' ? 'crawler-jwk-hint crawler-jwk-error' : 'crawler-jwk-hint'}
            aria-invalid={p.error?.field === 'jwk' ? 'true' : undefined}
          >
            {p.typed.jwk ?? ''}
          </textarea>
          <label for="crawler-label">Name (optional)</label>
          <input id="crawler-label" name="label" maxlength={100} autocomplete="off" value={p.typed.label ?? ''} />
          <p class="actions">
            <button type="submit">Link</button>
          </p>
        </form>
      </section>
    </Layout>
  );
}
