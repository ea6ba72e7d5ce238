import { expect, it } from 'vitest';
import shipped from '../../schema/site.schema.json';
import { siteJsonSchema } from '../../src/rules/site-json-schema';

it('schema/site.schema.json is the JSON Schema of the zod site schema (run `npm run schema` after changing it)', () => {
  expect(shipped).toEqual(JSON.parse(JSON.stringify(siteJsonSchema())));
  const rule = shipped.properties.rules.items as { properties: Record<string, unknown>; required: string[] };
  expect(rule.required).toEqual(['pattern', 'priceMicros']);
  expect(rule.properties.priceMicros).toMatchObject({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
});
