import type { HostClaim, InviteInfo, PasskeyInfo, Person, Publisher } from '../publishers/publisher-types';
import { AdminLayout } from './admin-layout';
import { PASSKEYS_SCRIPT_PATH } from './passkeys-script';

const CONSOLE = '/__paywall/admin';

export type FieldErrors = Partial<Record<string, string>>;

const day = (iso: string) => iso.slice(0, 10);

/** A field's error under it, tied to the input by aria-describedby. */
function FieldError(props: { id: string; error: string | undefined }) {
  return props.error ? (
    <p class="field-error" id={`${props.id}-error`}>
      {props.error}
    </p>
  ) : null;
}

const invalid = (errors: FieldErrors, id: string) =>
  errors[id] ? { 'aria-invalid': 'true' as const, 'aria-describedby': `${id}-error` } : {};

/** The operator's form to make a publisher with its hosts; the first API key is shown once after. */
export function NewPublisherForm(props: { values?: { name: string; hosts: string }; errors?: FieldErrors }) {
  const errors = props.errors ?? {};
  return (
    <div class="card">
      <h2>New publisher</h2>
      <form method="post" action={`${CONSOLE}/publishers`} novalidate>
        <label for="publisher-name">Name</label>
        <input id="publisher-name" name="name" class="wide" value={props.values?.name ?? ''} {...invalid(errors, 'publisher-name')} />
        <FieldError id="publisher-name" error={errors['publisher-name']} />
        <label for="publisher-hosts">Hosts, one a line</label>
        <textarea id="publisher-hosts" name="hosts" rows={3} {...invalid(errors, 'publisher-hosts')}>
          {props.values?.hosts ?? ''}
        </textarea>
        <p class="muted small">
          The operator vouches for these hosts: they need no claim. A publisher adds more hosts itself, proving each.
        </p>
        <FieldError id="publisher-hosts" error={errors['publisher-hosts']} />
        <div class="actions">
          <button type="submit">Create publisher</button>
        </div>
      </form>
    </div>
  );
}

export function PublisherCreatedPage(props: { nonce: string; publisherId: string; name: string; apiKey: string }) {
  return (
    <AdminLayout title="Publisher created" nonce={props.nonce} signedIn>
      <div class="card narrow">
        <h1>{props.name} is created</h1>
        <p class="notice" role="status">
          Its first API key is below. Copy it now: it is shown this once, and only its digest is kept.
        </p>
        <p class="once" data-testid="api-key">
          {props.apiKey}
        </p>
        <p>
          <a class="button" href={`${CONSOLE}/publishers/${props.publisherId}`}>
            Invite its people
          </a>
        </p>
      </div>
    </AdminLayout>
  );
}

/** One publisher: hosts, people, invites and statements. Owners and the operator may invite. */
export function PublisherPage(props: {
  nonce: string;
  publisher: Publisher;
  people: Person[];
  invites: InviteInfo[];
  mayInvite: boolean;
  months: string[];
  inviteValues?: { name: string; role: string };
  inviteErrors?: FieldErrors;
  claims: HostClaim[];
  /** The signed-in person looking, with their passkeys; null for the operator. */
  me: { personId: string; passkeys: PasskeyInfo[] } | null;
  operator: boolean;
  hostValue?: string;
  hostError?: string;
  claimErrors?: Record<string, string>;
  notice?: string;
}) {
  const p = props.publisher;
  const errors = props.inviteErrors ?? {};
  const pending = props.invites.filter((i) => i.usedAt === null && i.revokedAt === null && Date.parse(i.expiresAt) > Date.now());
  const base = `${CONSOLE}/publishers/${p.publisherId}`;
  return (
    <AdminLayout title={p.name} nonce={props.nonce} signedIn scriptSrc={props.me ? PASSKEYS_SCRIPT_PATH : undefined}>
      <h1>{p.name}</h1>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      <div class="card">
        <h2>Sites</h2>
        {p.hosts.length === 0 ? (
          <p class="muted">No host yet.</p>
        ) : (
          <ul>
            {p.hosts.map((h) => (
              <li>
                <a href={`${CONSOLE}/sites/${h}`}>{h}</a> · <a href={`${CONSOLE}/sites/${h}/revenue`}>revenue</a>
              </li>
            ))}
          </ul>
        )}
        {props.claims.map((claim) => (
          <div class="claim" data-testid={`claim-${claim.host}`}>
            <h3>Prove {claim.host} is yours</h3>
            <p>
              Serve this token as plain text at <code>/.well-known/paywall-verification</code> on the site's origin (the server the paywall
              forwards readers to), then check, by {day(claim.expiresAt)}: the claim ends then. Until then no rules for {claim.host} can be
              saved.
            </p>
            <p class="once">{claim.token}</p>
            <form method="post" action={`${CONSOLE}/publishers/${p.publisherId}/hosts/${claim.host}/verify`} novalidate>
              <label for={`origin-${claim.host}`}>Origin URL</label>
              <div class="preview-row">
                <input
                  id={`origin-${claim.host}`}
                  name="origin"
                  placeholder="https://origin.example"
                  {...invalid(props.claimErrors ?? {}, `origin-${claim.host}`)}
                />
                <button type="submit">Check now</button>
              </div>
              <FieldError id={`origin-${claim.host}`} error={props.claimErrors?.[`origin-${claim.host}`]} />
            </form>
          </div>
        ))}
        <form method="post" action={`${CONSOLE}/publishers/${p.publisherId}/hosts`} novalidate>
          <label for="new-host">Add a host</label>
          <div class="preview-row">
            <input
              id="new-host"
              name="host"
              value={props.hostValue ?? ''}
              placeholder="blog.example"
              {...invalid(props.hostError ? { 'new-host': props.hostError } : {}, 'new-host')}
            />
            <button type="submit" class="secondary">
              Add host
            </button>
          </div>
          <FieldError id="new-host" error={props.hostError} />
          {props.operator ? (
            <label class="check">
              <input type="checkbox" name="skipCheck" value="1" /> Operator: add it without the origin check
            </label>
          ) : null}
        </form>
      </div>
      <div class="card">
        <h2>People</h2>
        {props.people.length === 0 ? (
          <p class="muted">Nobody signs in for {p.name} yet.</p>
        ) : (
          <table data-testid="people">
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th class="num">Passkeys</th>
                <th>Since</th>
                {props.mayInvite ? <th /> : null}
              </tr>
            </thead>
            <tbody>
              {props.people.map((person) => (
                <tr>
                  <td>{person.name}</td>
                  <td>{person.role}</td>
                  <td class="num">{person.passkeys}</td>
                  <td>{day(person.createdAt)}</td>
                  {props.mayInvite ? (
                    <td>
                      {person.personId === props.me?.personId ? (
                        <span class="muted small">you</span>
                      ) : (
                        <form method="post" action={`${base}/people/${person.personId}/remove`}>
                          <button type="submit" class="secondary" aria-label={`Remove ${person.name}`}>
                            Remove
                          </button>
                        </form>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {pending.length ? (
          <>
            <h3>Invites not yet accepted</h3>
            <ul>
              {pending.map((i) => (
                <li data-testid={`invite-${i.inviteId}`}>
                  {i.name} ({i.role}), until {day(i.expiresAt)}
                  {props.mayInvite ? (
                    <form method="post" action={`${base}/invites/${i.inviteId}/revoke`} class="inline">
                      <button type="submit" class="secondary" aria-label={`Revoke the invite for ${i.name}`}>
                        Revoke
                      </button>
                    </form>
                  ) : null}
                </li>
              ))}
            </ul>
          </>
        ) : null}
        {props.mayInvite ? (
          <form method="post" action={`${CONSOLE}/publishers/${p.publisherId}/invites`} novalidate>
            <h3>Invite someone</h3>
            <div class="field-row">
              <div>
                <label for="invite-name">Their name</label>
                <input id="invite-name" name="name" value={props.inviteValues?.name ?? ''} {...invalid(errors, 'invite-name')} />
                <FieldError id="invite-name" error={errors['invite-name']} />
              </div>
              <div>
                <label for="invite-role">Role</label>
                <select id="invite-role" name="role">
                  <option value="member" selected={props.inviteValues?.role !== 'owner'}>
                    Member: edits the sites, sees revenue
                  </option>
                  <option value="owner" selected={props.inviteValues?.role === 'owner'}>
                    Owner: also invites people
                  </option>
                </select>
              </div>
            </div>
            <div class="actions">
              <button type="submit">Make an invite link</button>
            </div>
            <p class="muted small">The link works once, for 7 days. It is shown once: send it to them yourself.</p>
          </form>
        ) : null}
      </div>
      {props.me ? <YourPasskeys base={base} passkeys={props.me.passkeys} /> : null}
      <div class="card">
        <h2>Statements</h2>
        <ul>
          {props.months.map((m) => (
            <li>
              <a href={`${CONSOLE}/publishers/${p.publisherId}/statements/${m}.csv`} download>
                Statement {m} (CSV)
              </a>
            </li>
          ))}
        </ul>
      </div>
    </AdminLayout>
  );
}

/** The signed-in person's own passkeys: add one (the passkey script), remove any but the last. */
function YourPasskeys(props: { base: string; passkeys: PasskeyInfo[] }) {
  const only = props.passkeys.length <= 1;
  return (
    <div class="card" id="passkeys">
      <h2>Your passkeys</h2>
      <table data-testid="my-passkeys">
        <thead>
          <tr>
            <th>Passkey</th>
            <th>Made</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {props.passkeys.map((k, n) => (
            <tr>
              <td>
                Passkey {n + 1} <span class="muted small">{k.credentialId.slice(0, 8)}…</span>
              </td>
              <td>{day(k.createdAt)}</td>
              <td>{k.lastUsedAt ? day(k.lastUsedAt) : 'never'}</td>
              <td>
                {only ? (
                  <span class="muted small">your only one</span>
                ) : (
                  <form method="post" action={`${props.base}/passkeys/${k.credentialId}/remove`}>
                    <button type="submit" class="secondary" aria-label={`Remove passkey ${n + 1}`}>
                      Remove
                    </button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="alert" role="alert" data-passkey-error hidden />
      <div class="actions">
        <button
          type="button"
          data-passkey-action="register"
          data-passkey-endpoint={`${CONSOLE}/passkeys/mine`}
          data-passkey-cancelled="Cancelled: no passkey was added."
        >
          Add a passkey
        </button>
      </div>
      <p class="muted small">
        A second passkey, on another device or a security key, lets you in if you lose the first. Your last passkey cannot be removed.
      </p>
    </div>
  );
}

export function InviteCreatedPage(props: {
  nonce: string;
  publisherId: string;
  publisherName: string;
  name: string;
  link: string;
  expiresAt: string;
}) {
  return (
    <AdminLayout title="Invite link" nonce={props.nonce} signedIn>
      <div class="card narrow">
        <h1>Invite for {props.name}</h1>
        <p class="notice" role="status">
          Send this link to {props.name}. It works once, until {day(props.expiresAt)}, and is shown only now.
        </p>
        <p class="once" data-testid="invite-link">
          {props.link}
        </p>
        <p>
          <a href={`${CONSOLE}/publishers/${props.publisherId}`}>Back to {props.publisherName}</a>
        </p>
      </div>
    </AdminLayout>
  );
}

/** Where an invite link lands: who it is for, and the one button that makes their passkey. */
export function JoinPage(props: { nonce: string; invite: { code: string; name: string; publisherName: string; role: string } | null }) {
  const i = props.invite;
  return (
    <AdminLayout title="Join" nonce={props.nonce} signedIn={false} scriptSrc={i ? PASSKEYS_SCRIPT_PATH : undefined}>
      <div class="card narrow">
        {i ? (
          <>
            <h1>Join {i.publisherName}</h1>
            <p>
              {i.name}, you are invited to the paywall console of {i.publisherName} as {i.role === 'owner' ? 'an owner' : 'a member'}.
            </p>
            <p class="muted">
              You sign in with a passkey: your device's fingerprint, face or PIN. No password. The passkey works only for this console.
            </p>
            <p class="alert" role="alert" data-passkey-error hidden />
            <div class="actions">
              <button
                type="button"
                data-passkey-action="register"
                data-passkey-endpoint={`${CONSOLE}/passkeys`}
                data-invite={i.code}
                data-passkey-cancelled="Cancelled: no passkey was made, and your invite still works."
              >
                Make my passkey and join
              </button>
            </div>
          </>
        ) : (
          <>
            <h1>This invite does not work</h1>
            <p role="alert">It was used already, it expired, or the link is not complete. Ask whoever sent it for a new one.</p>
            <p>
              <a href={CONSOLE}>Sign in</a>
            </p>
          </>
        )}
      </div>
    </AdminLayout>
  );
}
