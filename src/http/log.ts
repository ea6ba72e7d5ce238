/**
 * One log line as JSON, so that Workers Logs (observability) indexes its fields and an
 * operator can search by `event`, `requestId` or `readerId`. Never log a token or a secret.
 */
export function log(level: 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, event, ...fields }, (_key, value) => (value instanceof Error ? String(value) : value));
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}
