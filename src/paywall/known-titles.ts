/**
 * The articles' titles this isolate has read from paid pages, by host and path, so that
 * the next charge of the same page carries its title in the charge's own row: a view is
 * then one request to the wallet, not two. A page the isolate has not seen (or whose title
 * changed) still has its title written after delivery (deliver.ts).
 */

/** Long enough for a page read again and again; short enough that an edited title soon shows. */
const TITLE_FRESH_MS = 10 * 60 * 1000;
/** Pages remembered per isolate (at most ~200 characters each); the oldest go first. */
const MAX_PAGES = 10_000;

const titles = new Map<string, { title: string; at: number }>();

export function knownTitle(host: string, path: string, now = Date.now()): string | undefined {
  const known = titles.get(host + path);
  return known && now - known.at < TITLE_FRESH_MS ? known.title : undefined;
}

export function rememberTitle(host: string, path: string, title: string, now = Date.now()): void {
  const key = host + path;
  titles.delete(key); // re-inserted last: the Map's order is the age order
  titles.set(key, { title, at: now });
  if (titles.size > MAX_PAGES) titles.delete(titles.keys().next().value!);
}
