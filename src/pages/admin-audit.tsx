import type { AuditEntry } from '../admin/admin-audit';
import { summarizeChange } from '../admin/audit-summary';
import { AdminLayout } from './admin-layout';

const ACTIONS: Record<AuditEntry['action'], string> = {
  'site.put': 'site saved',
  'site.delete': 'site deleted',
  'reader.credit': 'reader credited',
  'reader.move': 'reader’s money moved',
  'publisher.create': 'publisher created',
  'publisher.key.create': 'API key made',
  'publisher.key.revoke': 'API key revoked',
  'publisher.payout': 'payout recorded',
  'reader.lookup': 'reader looked up',
  'crawler.link': 'crawler linked to a wallet',
  'crawler.unlink': 'crawler unlinked',
  'publisher.invite.create': 'person invited',
  'publisher.person.join': 'invite accepted, passkey made',
  'publisher.host.claim': 'host claimed',
  'publisher.host.verify': 'host added',
  'publisher.person.remove': 'person removed',
  'publisher.invite.revoke': 'invite revoked',
  'publisher.passkey.add': 'passkey added',
  'publisher.passkey.remove': 'passkey removed',
};

function who(entry: AuditEntry): string {
  const how =
    entry.actor?.type === 'publisher_key'
      ? `${entry.actor.publisherName}'s API key “${entry.actor.keyName}” (${entry.actor.keyId})`
      : entry.actor?.type === 'person'
        ? `${entry.actor.personName} of ${entry.actor.publisherName} (${entry.actor.role}), console`
        : entry.via === 'console'
          ? `operator, console session ${entry.sessionId?.slice(0, 8) ?? ''}`
          : 'operator, API (admin token)';
  return entry.client && entry.client !== 'unknown' ? `${how} from ${entry.client}` : how;
}

function pretty(doc: AuditEntry['before']): string {
  if (doc === null) return '(none)';
  if (typeof doc !== 'string') return `(${doc.bytes} bytes: too large to list)`;
  try {
    return JSON.stringify(JSON.parse(doc), null, 2);
  } catch {
    return doc;
  }
}

export function AuditTable(props: { entries: AuditEntry[] }) {
  if (props.entries.length === 0) return <p class="muted">No changes recorded yet.</p>;
  return (
    <table data-testid="audit">
      <thead>
        <tr>
          <th>When (UTC)</th>
          <th>Who</th>
          <th>What</th>
          <th>Change</th>
        </tr>
      </thead>
      <tbody>
        {props.entries.map((e) => (
          <tr>
            <td class="small">{e.at.replace('T', ' ').slice(0, 19)}</td>
            <td class="small">{who(e)}</td>
            <td>
              {ACTIONS[e.action]}
              <br />
              {e.host ? <a href={`/__paywall/admin/sites/${e.host}`}>{e.host}</a> : <code>{e.readerId}</code>}
            </td>
            <td>
              <ul class="small">
                {summarizeChange(e).map((line) => (
                  <li>{line}</li>
                ))}
              </ul>
              <details>
                <summary class="small">Before and after</summary>
                <p class="small muted">Before</p>
                <pre>{pretty(e.before)}</pre>
                <p class="small muted">After</p>
                <pre>{pretty(e.after)}</pre>
              </details>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AuditPage(props: { nonce: string; host?: string; entries: AuditEntry[]; nextBefore: number | null }) {
  const more =
    props.nextBefore === null
      ? null
      : `/__paywall/admin/audit?${new URLSearchParams({ ...(props.host ? { host: props.host } : {}), before: String(props.nextBefore) })}`;
  return (
    <AdminLayout title="Audit log" nonce={props.nonce} signedIn>
      <h1>Audit log{props.host ? ` of ${props.host}` : ''}</h1>
      <p class="muted">
        Every change made through the console or the admin API: when, by which way in, on which site, with the document before and after.
        Changes written straight to KV with <code>wrangler</code> do not pass through the worker and are not listed.
      </p>
      <div class="card">
        <AuditTable entries={props.entries} />
        {more ? (
          <p>
            <a href={more}>Older changes</a>
          </p>
        ) : null}
      </div>
    </AdminLayout>
  );
}
