import { createMiddleware } from 'hono/factory';
import { publisherScopeOf, type AdminActor } from './admin-actor';
import type { AppEnv } from '../http/app-types';
import type { Context } from 'hono';
import { AppError } from '../http/app-error';

/** Whether the actor may read and change what belongs to `host`: the operator always, a publisher for its own hosts. */
export function mayUseHost(actor: AdminActor, host: string): boolean {
  const scope = publisherScopeOf(actor);
  return scope === null || scope.hosts.includes(host);
}

export function isOperator(actor: AdminActor): boolean {
  return publisherScopeOf(actor) === null;
}

/** Admin routes that a publisher's key may call, with what each is scoped to. Anything not listed is the operator's alone. */
const PUBLISHER_ROUTES: [RegExp, RegExp, 'host' | 'publisher' | 'audit'][] = [
  [/^/, /^\/sites\/([^/]+)(\/origin-secret)?$/, 'host'],
  [/^/, /^\/usage\/([^/]+)$/, 'host'],
  [/^/, /^\/publishers\/([^/]+)(\/keys(\/[^/]+)?)?$/, 'publisher'],
  // Claiming a host and proving it; adding one without proof is the operator's (host-claims.ts).
  [/^/, /^\/publishers\/([^/]+)\/hosts(\/[^/]+\/verify)?$/, 'publisher'],
  [/^(GET|HEAD)$/, /^\/publishers\/([^/]+)\/(statements\/[^/]+|payouts)$/, 'publisher'],
  [/^/, /^\/audit(\/[0-9]+)?$/, 'audit'],
];

const forbidden = (c: Context<AppEnv>, what: string) =>
  new AppError(
    'forbidden',
    `${c.var.admin?.via === 'person' ? 'Your console sign-in' : 'This API key'} may not ${what}; nothing was changed.`,
  );

/**
 * Tenancy of the admin API, in one place. The operator (ADMIN_TOKEN, or the console
 * session it signed in) may call everything; a publisher's key, or one of its people
 * signed in with a passkey, only its own hosts' sites and usage,
 * its own publisher record and keys, and the audit log (which audit-routes.ts filters
 * to its hosts). Everything else, crediting readers and managing publishers included,
 * and any admin route added later, is a 403 for a publisher key until it is listed here.
 * It runs before the handlers, so a refusal changes nothing.
 */
export const adminScope = createMiddleware<AppEnv>(async (c, next) => {
  const actor = publisherScopeOf(c.var.admin);
  if (actor === null) return next();
  const path = c.req.path.replace(/^\/__paywall\/api\/admin/, '');
  for (const [method, pattern, scope] of PUBLISHER_ROUTES) {
    const m = method.test(c.req.method) ? pattern.exec(path) : null;
    if (!m) continue;
    if (scope === 'audit') return next();
    const named = decoded(m[1]!);
    if (scope === 'host') {
      if (named !== null && actor.hosts.includes(named)) return next();
      throw forbidden(c, `use the host ${named ?? m[1]}: it is not one of its publisher's hosts`);
    }
    if (named === actor.publisherId) return next();
    throw forbidden(c, 'read or change another publisher');
  }
  throw forbidden(c, 'make this call: it is the operator\u2019s alone');
});

function decoded(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
