import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { priceForForms, parsePriceTypedByPeople } from '../../src/money';
import { formatWindow, parseWindow } from '../../src/admin/window-input';

describe('prices typed in dollars or cents', () => {
  it('reads decimal text as exact micros', () => {
    expect(parsePriceTypedByPeople('0.002', 'usd')).toEqual({ ok: true, micros: 2000 });
    expect(parsePriceTypedByPeople('$0.0025', 'usd')).toEqual({ ok: true, micros: 2500 });
    expect(parsePriceTypedByPeople('0.25', 'cents')).toEqual({ ok: true, micros: 2500 });
    expect(parsePriceTypedByPeople('1', 'cents')).toEqual({ ok: true, micros: 10_000 });
    expect(parsePriceTypedByPeople('.5', 'usd')).toEqual({ ok: true, micros: 500_000 });
    expect(parsePriceTypedByPeople('3.', 'usd')).toEqual({ ok: true, micros: 3_000_000 });
    expect(parsePriceTypedByPeople('0.000001', 'usd')).toEqual({ ok: true, micros: 1 });
    expect(parsePriceTypedByPeople('0.0001', 'cents')).toEqual({ ok: true, micros: 1 });
    // 0.1 + 0.2 style float error would give 300000.00000000006 micros
    expect(parsePriceTypedByPeople('0.3', 'usd')).toEqual({ ok: true, micros: 300_000 });
    expect(parsePriceTypedByPeople('9007199254.740991', 'usd')).toEqual({ ok: true, micros: Number.MAX_SAFE_INTEGER });
    expect(parsePriceTypedByPeople('0.0020000000', 'usd')).toEqual({ ok: true, micros: 2000 });
  });

  it('refuses what is not a whole number of micros, saying why', () => {
    for (const [text, unit] of [
      ['0.0000001', 'usd'],
      ['0.00001', 'cents'],
      ['', 'usd'],
      ['-1', 'usd'],
      ['1e3', 'usd'],
      ['1,5', 'usd'],
      ['.', 'usd'],
      ['abc', 'cents'],
      ['9007199254.740992', 'usd'],
      ['Infinity', 'usd'],
    ] as const) {
      const r = parsePriceTypedByPeople(text, unit);
      expect(r.ok, `${text} ${unit}`).toBe(false);
    }
    expect(parsePriceTypedByPeople('0.0000001', 'usd')).toMatchObject({ message: expect.stringContaining('6 decimals') });
  });

  it('writes any micros back as text that reads back to the same micros, in either unit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom('usd' as const, 'cents' as const),
        (micros, unit) => {
          expect(parsePriceTypedByPeople(priceForForms(micros, unit), unit)).toEqual({ ok: true, micros });
        },
      ),
    );
  });

  it('agrees with integer arithmetic on whole dollars and cents', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9_000_000 }), fc.integer({ min: 0, max: 999_999 }), (dollars, fraction) => {
        const text = `${dollars}.${String(fraction).padStart(6, '0')}`;
        expect(parsePriceTypedByPeople(text, 'usd')).toEqual({ ok: true, micros: dollars * 1_000_000 + fraction });
        const cents = `${dollars}.${String(fraction % 10_000).padStart(4, '0')}`;
        expect(parsePriceTypedByPeople(cents, 'cents')).toEqual({ ok: true, micros: dollars * 10_000 + (fraction % 10_000) });
      }),
    );
  });
});

describe('re-view windows', () => {
  it('reads whole units, empty as none, and shows the largest exact unit', () => {
    expect(parseWindow('', 'hours')).toEqual({ ok: true, seconds: undefined });
    expect(parseWindow('24', 'hours')).toEqual({ ok: true, seconds: 86_400 });
    expect(parseWindow('1.5', 'hours').ok).toBe(false);
    expect(parseWindow('0', 'days').ok).toBe(false);
    expect(formatWindow(86_400)).toEqual({ value: '1', unit: 'days' });
    expect(formatWindow(5400)).toEqual({ value: '90', unit: 'minutes' });
    expect(formatWindow(61)).toEqual({ value: '61', unit: 'seconds' });
  });
});
