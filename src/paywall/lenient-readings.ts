import type { MatchedRule } from '../rules/compile-rules';

/**
 * The paths a lenient origin might take a normalised path for. The price rules read the
 * path as it is (ASCII case aside); an origin may decode it once more, fold Unicode
 * compatibility forms (ｐ → p, ﬀ → ff) or case (ı → I, ſ → S), ignore accents as a case-
 * and accent-insensitive database collation does (é → e), end the path at a decoded
 * `?` or `#`, or, on Windows, drop the dots and spaces that end a segment. Each reading
 * is put back into URL form the way the origin would then route it, dot segments
 * resolved and repeated slashes collapsed.
 */
export function lenientReadings(path: string): string[] {
  // Only escapes and segment-final dots can be read in another way; case is ignored by the rules.
  if (!path.includes('%') && !/\.(\/|$)/.test(path)) return [];
  // normalizePath let through only well-formed UTF-8 escapes of non-separators.
  const decoded = decodeURIComponent(path);
  const compat = decoded.normalize('NFKC');
  const unaccented = decoded.normalize('NFKD').replace(/\p{M}/gu, '').normalize('NFKC');
  // An origin may fold several ways at once (an accent-insensitive, case-insensitive collation).
  const forms = new Set([decoded, compat, unaccented].flatMap((f) => [f, f.toUpperCase(), f.toLowerCase()]));

  const readings = new Set<string>();
  const url = new URL('http://reading.invalid/');
  for (const form of forms) {
    for (const cut of [form, form.replace(/[?#].*$/s, '')]) {
      for (const reading of [cut, dropSegmentEndings(cut)]) {
        url.pathname = reading;
        readings.add(url.pathname.replace(/\/{2,}/g, '/'));
      }
    }
  }
  readings.delete(path);
  return [...readings];
}

/** Windows drops the dots and spaces that end a segment (a segment of dots alone is a dot segment). */
function dropSegmentEndings(path: string): string {
  return path
    .split('/')
    .map((segment) => (/^\.+$/.test(segment) ? segment : segment.replace(/[. ]+$/, '')))
    .join('/');
}

/** Whether some lenient reading of `path` would be priced above `priceMicros`. */
export function readsAsPricier(path: string, priceMicros: number, match: (path: string) => MatchedRule | null): boolean {
  return lenientReadings(path).some((reading) => (match(reading)?.rule.priceMicros ?? 0) > priceMicros);
}
