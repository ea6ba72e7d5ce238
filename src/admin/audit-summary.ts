import type { AuditEntry } from './admin-audit';

type Rule = { pattern?: unknown; priceMicros?: unknown; reviewWindowSeconds?: unknown };
type Doc = { origin?: unknown; rules?: unknown };

/** What an audit entry changed, in a few lines a person can read; the full documents are listed beside it. */
export function summarizeChange(entry: AuditEntry): string[] {
  const people = peopleSummary(entry);
  if (people) return [people];
  if (entry.action.startsWith('publisher.'))
    return [`${entry.action.replace('publisher.', '').replace('.', ' ')}: ${typeof entry.after === 'string' ? entry.after : ''}`];
  if (entry.action === 'reader.lookup') return [`read the ${String(entry.detail?.looked_at ?? '')} of reader ${entry.readerId}`];
  if (entry.action === 'reader.move') {
    const d = entry.detail ?? {};
    return [
      `moved ${String(d.movedMicros)} micros from reader ${entry.readerId} to reader ${String(d.toReaderId)}: ${String(d.reason ?? '')}`,
    ];
  }
  if (entry.action === 'reader.credit') {
    const d = entry.detail ?? {};
    return [`credited ${String(d.amountMicros)} micros to reader ${entry.readerId}: ${String(d.reason ?? '')}`];
  }
  const before = docOf(entry.before);
  const after = docOf(entry.after);
  if (entry.action === 'site.delete') {
    return [entry.before === null ? 'deleted (there was no document)' : `deleted (it had ${rulesOf(before).length} rules)`];
  }
  const omitted = [entry.before, entry.after].some((d) => d !== null && typeof d === 'object');
  if (omitted) return [`documents too large to compare here: GET /__paywall/api/admin/audit/${entry.id}`];
  if (entry.before === null) return [`created with ${rulesOf(after).length} rules`];
  if (before === undefined) return ['replaced a document that was not valid JSON'];
  const lines: string[] = [];
  if (before.origin !== after?.origin) lines.push(`origin ${String(before.origin)} → ${String(after?.origin)}`);
  const old = new Map(rulesOf(before).map((r) => [String(r.pattern), r]));
  const now = new Map(rulesOf(after).map((r) => [String(r.pattern), r]));
  for (const [pattern, r] of now) {
    const o = old.get(pattern);
    if (!o) lines.push(`+ ${pattern} at ${String(r.priceMicros)} micros`);
    else {
      if (o.priceMicros !== r.priceMicros) lines.push(`${pattern}: ${String(o.priceMicros)} → ${String(r.priceMicros)} micros`);
      if (o.reviewWindowSeconds !== r.reviewWindowSeconds) {
        lines.push(`${pattern}: re-view window ${String(o.reviewWindowSeconds ?? 'none')} → ${String(r.reviewWindowSeconds ?? 'none')} s`);
      }
    }
  }
  for (const pattern of old.keys()) if (!now.has(pattern)) lines.push(`− ${pattern}`);
  const kept = [...now.keys()].filter((p) => old.has(p));
  const keptBefore = [...old.keys()].filter((p) => now.has(p));
  if (kept.join('\n') !== keptBefore.join('\n')) lines.push('rules reordered');
  return lines.length > 0 ? lines : ['no change to the document'];
}

function docOf(text: AuditEntry['before']): Doc | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Doc) : undefined;
  } catch {
    return undefined;
  }
}

function rulesOf(doc: Doc | undefined): Rule[] {
  return Array.isArray(doc?.rules) ? (doc.rules as Rule[]).filter((r) => r && typeof r === 'object') : [];
}

/** The publisher's people and hosts, said in words rather than as the stored JSON. */
function peopleSummary(entry: AuditEntry): string | null {
  const a = docOf(entry.after) as Record<string, unknown> | undefined;
  if (!a) return null;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (entry.action) {
    case 'publisher.invite.create':
      return `invited ${str(a.name)} as ${str(a.role)}; the link works once, until ${str(a.expiresAt).slice(0, 10)}`;
    case 'publisher.person.join':
      return `${str(a.name)} accepted the invite and made a passkey (${str(a.role)})`;
    case 'publisher.person.remove':
      return `removed ${str(a.name)} (${str(a.role)}): signed out, their passkeys sign nobody in`;
    case 'publisher.invite.revoke':
      return `revoked the invite for ${str(a.name)}: its link no longer works`;
    case 'publisher.passkey.add':
      return `${str(a.name)} added a passkey`;
    case 'publisher.passkey.remove':
      return `${str(a.name)} removed a passkey`;
    case 'publisher.host.claim':
      return `claimed ${str(a.host)}: waiting for its origin to serve the token`;
    case 'publisher.host.verify':
      return a.checked
        ? `added ${str(a.host)}: ${str(a.origin)} served the token`
        : `added ${str(a.host)} without the origin check (the operator)`;
    case 'publisher.create':
      return `created ${str(a.name)} with ${Array.isArray(a.hosts) ? a.hosts.join(', ') : ''}`;
    default:
      return null;
  }
}
