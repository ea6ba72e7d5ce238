import { AppError } from '../http/app-error';

/**
 * The one path normalisation: its output is both what the price rules see and what the
 * origin receives, so a lenient origin can never be shown a different resource than the
 * one that was priced. The URL parser has already resolved dot segments (including
 * %2e forms) and turned backslashes into slashes; what is left is made canonical here,
 * and whatever an origin might read in two ways is refused.
 */
export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };

const MAX_PATH_LENGTH = 2048;
const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Unicode's Default_Ignorable_Code_Point set: code points that display as nothing. */
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;

/** The path a view is priced by and the origin receives; one that cannot be normalised safely is a 400 `invalid_path`. */
export function servablePath(rawPathname: string): string {
  const normalized = normalizePath(rawPathname);
  if (!normalized.ok) throw new AppError('invalid_path', `The path cannot be served safely: ${normalized.reason}.`);
  return normalized.path;
}

export function normalizePath(rawPathname: string): NormalizedPath {
  if (rawPathname.length > MAX_PATH_LENGTH) return { ok: false, reason: 'path too long' };
  if (!rawPathname.startsWith('/')) return { ok: false, reason: 'path must start with /' };

  let out = '';
  for (let i = 0; i < rawPathname.length; i++) {
    const ch = rawPathname[i]!;
    if (ch === '%') {
      const hex = rawPathname.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { ok: false, reason: 'malformed percent-encoding' };
      const code = parseInt(hex, 16);
      const decoded = String.fromCharCode(code);
      if (code < 0x20 || code === 0x7f) return { ok: false, reason: 'encoded control character' };
      // An origin that decodes these would see a separator or a second round of escapes.
      if (decoded === '/' || decoded === '\\' || decoded === '%' || decoded === ';') {
        return { ok: false, reason: `encoded ${decoded} in path` };
      }
      out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
      i += 2;
      continue;
    }
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) return { ok: false, reason: 'control character in path' };
    // Matrix parameters (`/premium;x/a`) are dropped by some servers before routing.
    if (ch === ';') return { ok: false, reason: '; in path' };
    if (ch === '\\') return { ok: false, reason: 'backslash in path' };
    out += ch;
  }

  // Overlong forms (%C0%AF for /) and lone surrogates are read as separators by some
  // decoders and as nothing by others.
  let decoded: string;
  try {
    decoded = decodeURIComponent(out);
  } catch {
    return { ok: false, reason: 'percent-encoding that is not UTF-8' };
  }
  // Invisible characters (soft hyphen, zero-width space and joiners, BOM...): an origin that
  // ignores them would serve `/pre<SHY>mium` as `/premium`, priced or not. Refused rather
  // than stripped, so that the origin is never sent a path other than the one requested.
  if (DEFAULT_IGNORABLE.test(decoded)) return { ok: false, reason: 'invisible (default-ignorable) character in path' };

  // Lenient origins collapse repeated slashes; so do we, before pricing.
  out = out.replace(/\/{2,}/g, '/');
  for (const segment of out.split('/')) {
    // Decoding unreserved escapes can only now reveal a dot segment.
    if (segment === '.' || segment === '..') return { ok: false, reason: 'dot segment in path' };
  }
  return { ok: true, path: out };
}

/**
 * A price rule's pattern read the way `normalizePath` reads a request path, so that the
 * rules and the requests they price agree: non-ASCII percent-encoded as the URL parser
 * encodes it, escapes of unreserved characters decoded and other escapes upper-cased, and
 * default-ignorable code points (which no request path may hold) left out. Pattern syntax
 * (`:name`, `*`, groups) is kept as it is.
 */
export function normalizePattern(pattern: string): string {
  const visible = pattern.replace(/\p{Default_Ignorable_Code_Point}/gu, '');
  // URLPattern's own canonical form percent-encodes raw non-ASCII as URL paths are.
  const canonical = new URLPattern({ pathname: visible }).pathname;
  return canonical.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    let text: string;
    try {
      text = decodeURIComponent(run);
    } catch {
      return run.toUpperCase();
    }
    return [...text.replace(/\p{Default_Ignorable_Code_Point}/gu, '')].map((ch) => (UNRESERVED.test(ch) ? ch : escapeUtf8(ch))).join('');
  });
}

function escapeUtf8(ch: string): string {
  return [...new TextEncoder().encode(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}
