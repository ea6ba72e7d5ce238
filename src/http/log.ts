import { tryGetContext } from 'hono/context-storage';

/**
 * One log line as JSON, so that Workers Logs (observability) indexes its fields and an
 * operator can search by `event`, `requestId` or `readerId`. Written while a request is
 * served (the app's `contextStorage`), the line carries that request's `requestId`;
 * a Durable Object's lines, and those of alarms, have none. An Error is written as its
 * name, message and stack. Never log a token or a secret.
 */
export function log(level: 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown> = {}): void {
  const requestId = currentRequestId();
  const line = JSON.stringify({ level, event, ...(requestId ? { requestId } : {}), ...fields }, (_key, value) =>
    value instanceof Error ? { error: String(value), ...(value.stack ? { stack: value.stack } : {}) } : value,
  );
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

function currentRequestId(): string | undefined {
  const id: unknown = tryGetContext()?.var?.requestId;
  return typeof id === 'string' ? id : undefined;
}
