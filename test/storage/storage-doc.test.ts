/// <reference types="vite/client" />
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import raw from '../../STORAGE.md?raw';
import { auditSchema } from '../../src/admin/audit-schema';
import { crawlerNoncesSchema } from '../../src/crawlers/crawler-nonces-schema';
import { publisherSchema } from '../../src/publishers/publisher-schema';
import { IDEMPOTENCY_PREFIXES, KV_PREFIXES } from '../../src/storage/kv-keys';
import { SCHEMA_MIGRATIONS_TABLE, type DurableObjectSchema } from '../../src/storage/migrations';
import { paymentIndexSchema } from '../../src/stripe/payment-index-schema';
import { takeBackLogSchema } from '../../src/usage/take-back-log-schema';
import { usageSchema } from '../../src/usage/usage-schema';
import { walletSchema } from '../../src/wallet/wallet-schema';

/** STORAGE.md and the code agree: every key prefix and every table is documented, under its object. */

const objects: { schema: DurableObjectSchema; ns: DurableObjectNamespace }[] = [
  { schema: walletSchema, ns: env.WALLET },
  { schema: usageSchema, ns: env.USAGE },
  { schema: auditSchema, ns: env.ADMIN_AUDIT },
  { schema: paymentIndexSchema, ns: env.PAYMENT_INDEX },
  { schema: takeBackLogSchema, ns: env.TAKE_BACK_LOG },
  { schema: publisherSchema, ns: env.PUBLISHERS as unknown as DurableObjectNamespace },
  { schema: crawlerNoncesSchema, ns: env.CRAWLER_NONCES },
];

/** The part of STORAGE.md under `### \`<class>\``, up to the next heading of that level or above. */
function sectionOf(name: string): string {
  const start = raw.indexOf(`### \`${name}\``);
  if (start < 0) return '';
  const rest = raw.slice(start + 4);
  const end = rest.search(/\n#{2,3} /);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('STORAGE.md', () => {
  it('names every KV prefix and every idempotency prefix', () => {
    const missing = [...Object.values(KV_PREFIXES), ...Object.values(IDEMPOTENCY_PREFIXES)].filter((p) => !raw.includes(`\`${p}`));
    expect(missing).toEqual([]);
  });

  for (const { schema, ns } of objects) {
    it(`names every table of ${schema.name}, under its own heading`, async () => {
      const tables = await runInDurableObject(ns.get(ns.idFromName(`storage-doc-${schema.name}`)) as DurableObjectStub, (_o, state) =>
        state.storage.sql
          .exec<{ name: string }>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
          )
          .toArray()
          .map((r) => r.name)
          .filter((name) => name !== SCHEMA_MIGRATIONS_TABLE),
      );
      const section = sectionOf(schema.name);
      expect(section, `a section for ${schema.name}`).not.toBe('');
      expect(tables.length).toBeGreaterThan(0);
      expect(tables.filter((t) => !section.includes(`| \`${t}\` |`))).toEqual([]);
    });
  }
});
