import { DurableObject } from 'cloudflare:workers';
import { migrate, type DurableObjectSchema } from './migrations';

/**
 * A Durable Object whose SQLite tables come from its schema's migrations: brought up to
 * date first thing in the constructor, before any query, so every object of every class
 * runs the same code for it (src/storage/migrations.ts, STORAGE.md).
 */
export abstract class MigratedObject extends DurableObject<Env> {
  protected readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env, schema: DurableObjectSchema) {
    super(ctx, env);
    migrate(ctx.storage, schema);
    this.sql = ctx.storage.sql;
  }
}
