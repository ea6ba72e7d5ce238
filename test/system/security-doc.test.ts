/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import raw from '../../SECURITY.md?raw';

/**
 * SECURITY.md and the security tests agree item by item: every test it names exists, and
 * every security test is named in it.
 */

const doc = raw.replace(/\s+/g, ' ');
const files = import.meta.glob<string>('./security-*.test.ts', { query: '?raw', import: 'default', eager: true });

function titlesOf(source: string): string[] {
  return [...source.matchAll(/^\s*it\((['"`])(.+?)\1,/gm)].map((m) => m[2]!.replace(/\\'/g, "'"));
}

describe('SECURITY.md', () => {
  it('names only tests that exist, in the file it says', () => {
    const missing: string[] = [];
    // A reference is `security-<file> › ... › <title>`; a following `› <title>` is in the same file.
    for (const cell of raw.split(/\n(?=\|)|\n\n/).filter((l) => l.includes('security-'))) {
      let file: string | null = null;
      for (const [, ref] of cell.replace(/\s+/g, ' ').matchAll(/`([^`]*›[^`]*)`/g)) {
        const named = /^(security-[a-z.-]+) ›/.exec(ref!);
        if (named) file = `./${named[1]}.test.ts`;
        if (!file) continue;
        const title = ref!.split('› ').pop()!.trim();
        expect(files[file], `${file} exists`).toBeTypeOf('string');
        if (!titlesOf(files[file]!).includes(title)) missing.push(`${file}: ${title}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('names every security test', () => {
    const unnamed: string[] = [];
    for (const [file, source] of Object.entries(files)) {
      if (file.includes('security-doc')) continue;
      for (const title of titlesOf(source)) if (!doc.includes(title)) unnamed.push(`${file}: ${title}`);
    }
    expect(unnamed).toEqual([]);
  });
});
