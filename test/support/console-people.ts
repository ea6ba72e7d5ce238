import { expect } from 'vitest';
import { ADMIN_HOST, adminCall } from './paywall';
import { CONSOLE, postForm } from './admin-console';
import { SoftwareAuthenticator } from './software-authenticator';

const ORIGIN = `http://${ADMIN_HOST}`;

/**
 * Sign-in calls are rate limited per client address (10 a minute, across tests): each
 * call without an address of its own comes from a fresh one.
 */
let clients = 0;
const freshClient = () => `198.18.${(clients >> 8) & 255}.${clients++ & 255}`;
const PASSKEYS = `${CONSOLE}/passkeys`;

/** Makes an invite through the console form, as the operator or an owner; answers the link's path (`/__paywall/admin/join/inv_…`). */
export async function invite(cookie: string, publisherId: string, name: string, role: 'owner' | 'member' = 'member'): Promise<string> {
  const res = await postForm(`${CONSOLE}/publishers/${publisherId}/invites`, { name, role }, { cookie });
  expect(res.status).toBe(201);
  const link = /data-testid="invite-link"[^>]*>\s*([^<\s]+)/.exec(await res.text())?.[1] ?? '';
  expect(link).toMatch(new RegExp(`^${ORIGIN}/__paywall/admin/join/inv_[A-Za-z0-9_-]{43}$`));
  return new URL(link).pathname;
}

export const codeOf = (joinPath: string) => joinPath.split('/').pop()!;

function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return adminCall(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, ...headers },
    body: JSON.stringify(body),
  });
}

const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`) && !c.startsWith(`${name}=;`))
    ?.split(';')[0] ?? null;

/** Accepts an invite as the join page's script does: options, a new passkey, then the registration. */
export async function join(joinPath: string, client = freshClient(), authenticator?: SoftwareAuthenticator) {
  const key = authenticator ?? (await SoftwareAuthenticator.create());
  const ip = { 'cf-connecting-ip': client };
  const started = await postJson(`${PASSKEYS}/register-options`, { invite: codeOf(joinPath) }, ip);
  if (started.status !== 200)
    return { status: started.status, body: await started.json<{ error: string }>(), cookie: null, authenticator: key };
  const { options } = await started.json<{ options: { challenge: string; user: { id: string } } }>();
  const response = await key.register({ challenge: options.challenge, origin: ORIGIN, rpID: ADMIN_HOST, userId: options.user.id });
  const done = await postJson(
    `${PASSKEYS}/register`,
    { invite: codeOf(joinPath), response },
    { ...ip, cookie: cookieOf(started, 'console_passkey_challenge')! },
  );
  return {
    status: done.status,
    body: await done.json<{ error?: string; next?: string }>(),
    cookie: cookieOf(done, 'paywall_admin'),
    authenticator: key,
  };
}

/** Signs in with a passkey made by join(): answers the console cookie, or null. */
export async function passkeySignIn(authenticator: SoftwareAuthenticator, client = freshClient()) {
  const ip = { 'cf-connecting-ip': client };
  const started = await postJson(`${PASSKEYS}/sign-in-options`, {}, ip);
  expect(started.status).toBe(200);
  const { options } = await started.json<{ options: { challenge: string } }>();
  const response = await authenticator.signIn({ challenge: options.challenge, origin: ORIGIN, rpID: ADMIN_HOST });
  const done = await postJson(
    `${PASSKEYS}/sign-in`,
    { response, next: `${CONSOLE}/audit` },
    { ...ip, cookie: cookieOf(started, 'console_passkey_challenge')! },
  );
  return { status: done.status, body: await done.json<{ error?: string; next?: string }>(), cookie: cookieOf(done, 'paywall_admin') };
}

/** A signed-in person adds a passkey, as the publisher page's "Add a passkey" button does. */
export async function addPasskey(cookie: string, authenticator?: SoftwareAuthenticator, client = freshClient()) {
  const key = authenticator ?? (await SoftwareAuthenticator.create());
  const ip = { 'cf-connecting-ip': client };
  const started = await postJson(`${PASSKEYS}/mine/register-options`, {}, { ...ip, cookie });
  if (started.status !== 200)
    return { status: started.status, body: await started.json<{ error?: string; next?: string }>(), authenticator: key };
  const { options } = await started.json<{ options: { challenge: string; user: { id: string } } }>();
  const response = await key.register({ challenge: options.challenge, origin: ORIGIN, rpID: ADMIN_HOST, userId: options.user.id });
  const challenge = cookieOf(started, 'console_passkey_challenge')!;
  const done = await postJson(`${PASSKEYS}/mine/register`, { response }, { ...ip, cookie: `${cookie}; ${challenge}` });
  return { status: done.status, body: await done.json<{ error?: string; next?: string }>(), authenticator: key };
}
