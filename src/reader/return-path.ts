import { normalizePath } from '../paywall/normalize-path';

const MAX_LENGTH = 2048;

/**
 * Where to send a reader back to: a path on this site, or null. Only same-site
 * relative paths pass (`/articles/x?page=2`), so the parameter can never redirect a
 * reader elsewhere (`//evil.example`, `/\evil.example`, `https://…`, control characters)
 * nor into the paywall's own endpoints; and only paths the paywall itself would serve
 * (its one normalisation, which refuses e.g. encoded backslashes).
 */
export function safeReturnPath(raw: string | null | undefined): string | null {
  if (!raw || raw.length > MAX_LENGTH) return null;
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return null;
  if (/[\x00-\x20\x7f]/.test(raw)) return null;
  const base = 'http://return.invalid';
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return null;
  }
  if (url.origin !== base) return null;
  const path = normalizePath(url.pathname);
  if (!path.ok) return null;
  if (/^\/__paywall(\/|$)/i.test(path.path)) return null;
  return path.path + url.search;
}
