import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompiledRules } from '../../src/rules/compile-rules';
import type { PriceRule } from '../../src/rules/site-schema';

const site = (rules: PriceRule[]) => new CompiledRules({ host: 'h.test', origin: 'http://o.test', rules });

/** The contract's definition, tried the slow way: every rule in order, every variant of the path. */
function naiveMatch(rules: PriceRule[], path: string): number | null {
  const variants = [path, path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : `${path}/`];
  const i = rules.findIndex((r) =>
    variants.some((p) => new URLPattern({ pathname: r.pattern }, { ignoreCase: true }).test({ pathname: p })),
  );
  return i === -1 ? null : i;
}

describe('price rules', () => {
  it('take the first match, ignore ASCII case and one trailing slash, and leave unmatched paths free', () => {
    const rules = site([
      { pattern: '/articles/free-sample', priceMicros: 0 },
      { pattern: '/articles/:slug', priceMicros: 2500 },
      { pattern: '/premium/*', priceMicros: 10_000 },
    ]);
    expect(rules.match('/articles/free-sample')?.rule.priceMicros).toBe(0);
    expect(rules.match('/articles/x')?.rule.priceMicros).toBe(2500);
    expect(rules.match('/ARTICLES/X/')?.rule.priceMicros).toBe(2500);
    expect(rules.match('/premium')?.rule.priceMicros).toBe(10_000);
    expect(rules.match('/premium/a/b')?.rule.priceMicros).toBe(10_000);
    expect(rules.match('/articles/x//')).toBeNull();
    expect(rules.match('/other')).toBeNull();
  });

  it('match exactly as a linear scan of URLPattern would, whatever the rules and paths', () => {
    const segment = fc.constantFrom('a', 'B', 'news', 'premium', 'x1', 'A');
    const patternPart = fc.oneof(segment, fc.constant(':p'), fc.constant('*'), fc.constant('(a|b)'));
    // Parameter names must be unique within a pattern, as the site schema requires.
    const pattern = fc
      .array(patternPart, { minLength: 0, maxLength: 3 })
      .map((parts) => `/${parts.map((p, i) => (p === ':p' ? `:p${i}` : p)).join('/')}`);
    const path = fc
      .tuple(fc.array(segment, { maxLength: 4 }), fc.boolean())
      .map(([parts, slash]) => `/${parts.join('/')}${slash && parts.length ? '/' : ''}`);
    fc.assert(
      fc.property(
        fc.array(pattern, { minLength: 1, maxLength: 12 }),
        fc.array(path, { minLength: 1, maxLength: 10 }),
        (patterns, paths) => {
          const rules = patterns.map((p, i) => ({ pattern: p, priceMicros: i }));
          const compiled = site(rules);
          for (const p of [...paths, ...paths]) expect(compiled.match(p)?.index ?? null, `${p} in ${patterns}`).toBe(naiveMatch(rules, p));
        },
      ),
      { numRuns: 300 },
    );
  });
});
