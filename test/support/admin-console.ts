import { expect } from 'vitest';
import { ADMIN_HOST, adminCall } from './paywall';

export const CONSOLE = '/__paywall/admin';
/** The origin a browser sends with a form posted from the console itself. */
export const SAME_ORIGIN = { origin: `http://${ADMIN_HOST}` };

/** A form post as a browser sends it from a console page. */
export function postForm(path: string, fields: [string, string][] | Record<string, string>, headers: Record<string, string> = {}) {
  const body = new URLSearchParams(fields as Record<string, string>);
  return adminCall(path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...SAME_ORIGIN, ...headers },
    body,
  });
}

/** Signs in through the console's form and answers the session cookie (`name=value`). */
export async function signIn(token = 'test-admin-token', client = '203.0.113.1'): Promise<string> {
  const res = await postForm(`${CONSOLE}/sign-in`, { token, next: CONSOLE }, { 'cf-connecting-ip': client });
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0]!;
}

export async function page(path: string, cookie: string): Promise<{ status: number; html: string; res: Response }> {
  const res = await adminCall(path, { headers: { cookie }, redirect: 'manual' });
  return { status: res.status, html: await res.text(), res };
}

/** The values of the inputs named `name`, in document order (the blank row's <template> is not part of the form). */
export function inputValues(html: string, name: string): string[] {
  return [...html.replace(/<template[\s\S]*?<\/template>/g, '').matchAll(new RegExp(`<input[^>]*name="${name}"[^>]*>`, 'g'))].map(
    (m) => /value="([^"]*)"/.exec(m[0])?.[1] ?? '',
  );
}

/** The text of the element with this id, tags stripped. */
export function textOf(html: string, id: string): string | null {
  const m = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</`).exec(html);
  return m ? m[1]!.replace(/<[^>]+>/g, '').trim() : null;
}
