import type { DurableObjectSchema } from '../storage/migrations';

/** The `TakeBackLog` object's tables (one object per site). Append a migration to change them. */
export const takeBackLogSchema: DurableObjectSchema = {
  name: 'TakeBackLog',
  migrations: [
    {
      version: 1,
      description: 'views taken back by readers, with their reasons',
      up: `
CREATE TABLE take_backs (
  receipt TEXT PRIMARY KEY,
  day TEXT NOT NULL,
  path TEXT NOT NULL,
  reason TEXT NOT NULL,
  amount INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX take_backs_day ON take_backs(day);
`,
    },
  ],
};
