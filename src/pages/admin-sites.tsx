import type { AuditEntry } from '../admin/admin-audit';
import { useContext } from 'hono/jsx';
import { AdminLayout } from './admin-layout';
import { ViewerContext } from './admin-viewer';
import { AuditTable } from './admin-audit';

export function SitesPage(props: {
  nonce: string;
  hosts: string[];
  truncated: boolean;
  recent: AuditEntry[];
  hostError?: string;
  hostValue?: string;
  welcome?: boolean;
}) {
  const viewer = useContext(ViewerContext);
  const person = viewer?.kind === 'person' ? viewer : null;
  return (
    <AdminLayout title="Sites" nonce={props.nonce} signedIn>
      <h1>{person ? `Sites of ${person.publisherName}` : 'Sites'}</h1>
      {props.welcome && person ? (
        <p class="notice" role="status">
          Welcome, {person.personName}. Your passkey is saved: next time, sign in with it.
        </p>
      ) : null}
      <div class="card">
        <h2>{person ? 'Your hosts' : 'Sites in KV'}</h2>
        {props.hosts.length === 0 ? (
          <p class="muted">No site yet: {person ? 'add a host on your publisher page.' : 'create one below.'}</p>
        ) : (
          <table data-testid="sites">
            <thead>
              <tr>
                <th>Host</th>
                <th>Price rules</th>
                <th>Revenue</th>
                <th>Changes</th>
              </tr>
            </thead>
            <tbody>
              {props.hosts.map((host) => (
                <tr>
                  <td>
                    <code>{host}</code>
                  </td>
                  <td>
                    <a href={`/__paywall/admin/sites/${host}`}>Edit rules of {host}</a>
                  </td>
                  <td>
                    <a href={`/__paywall/admin/sites/${host}/revenue`}>Revenue of {host}</a>
                  </td>
                  <td>
                    <a href={`/__paywall/admin/audit?host=${encodeURIComponent(host)}`}>Audit</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {props.truncated ? (
          <p class="muted small">Only the first {props.hosts.length} sites are listed; open any other by its host below.</p>
        ) : null}
      </div>
      {person ? null : (
        <div class="card">
          <h2>Open or create a site</h2>
          <form method="get" action="/__paywall/admin/sites" novalidate>
            <label for="host">Host name (as readers type it, e.g. news.example)</label>
            <div class="preview-row">
              <input
                id="host"
                name="host"
                value={props.hostValue ?? ''}
                aria-invalid={props.hostError ? 'true' : undefined}
                aria-describedby={props.hostError ? 'host-error' : undefined}
              />
              <button type="submit" class="secondary">
                Open
              </button>
            </div>
            {props.hostError ? (
              <p class="field-error" id="host-error">
                {props.hostError}
              </p>
            ) : null}
          </form>
        </div>
      )}
      <div class="card">
        <h2>Recent changes</h2>
        <AuditTable entries={props.recent} />
        <p>
          <a href="/__paywall/admin/audit">The whole audit log</a>
        </p>
      </div>
    </AdminLayout>
  );
}
