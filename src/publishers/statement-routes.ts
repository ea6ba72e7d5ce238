import { Hono, type Context } from 'hono';
import { AppError } from '../http/app-error';
import { z } from 'zod';
import { recordChange } from '../admin/audit-stub';
import type { AppEnv } from '../http/app-types';
import { validated } from '../http/json-errors';
import { log } from '../http/log';
import { micros } from '../money';
import { isIsoDay, utcDay } from '../usage/utc-days';
import { randomId } from './api-key';
import { amountOwed } from './amount-owed';
import { publisherNotFound } from './publisher-routes';
import { publisherRegistry } from './publisher-stub';
import { buildStatement, isMonth, platformFeeBps, statementCsv } from './statement';

const PUBLISHER_ID = /^pub_[A-Za-z0-9_-]{16}$/;

const newPayout = z.strictObject({
  amountMicros: micros.refine((n) => n > 0, { error: 'must be more than 0' }),
  paidOn: z.string({ error: 'is required, as YYYY-MM-DD' }).refine(isIsoDay, { error: 'must be a calendar date written YYYY-MM-DD' }),
  reference: z
    .string({ error: 'is required, as a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(200, { error: 'must be at most 200 characters' }),
});

async function publisherOf(c: Context<AppEnv>) {
  const id = c.req.param('publisherId') ?? '';
  return PUBLISHER_ID.test(id) ? publisherRegistry(c.env).get(id) : null;
}

/** The platform's fee in basis points, or the 503 that says PLATFORM_FEE_BPS is not usable. */
function feeBps(env: Env): number {
  const bps = platformFeeBps(env);
  if (bps === null) throw new AppError('platform_fee_misconfigured', 'PLATFORM_FEE_BPS must be an integer from 0 to 10000 basis points.');
  return bps;
}

function summaryInvalid(host: string, date: string): AppError {
  log('error', 'usage_summary_invalid', { host, date });
  return new AppError('invalid_usage_summary', `The usage summary of ${host} for ${date} is not valid.`);
}

/**
 * Statements (per publisher and UTC month, JSON or CSV) and payouts: what the operator
 * has paid each publisher, and what it still owes. Scope is checked in admin-scope.ts:
 * a publisher's key reads its own; recording a payout is the operator's.
 */
export const statementRoutes = new Hono<AppEnv>()
  .get('/publishers/:publisherId/statements/:month', async (c) => {
    const month = c.req.param('month');
    if (!isMonth(month)) throw new AppError('invalid_request', 'month: must be a month written YYYY-MM', { field: 'month' });
    const bps = feeBps(c.env);
    const publisher = await publisherOf(c);
    if (!publisher) throw publisherNotFound();
    const built = await buildStatement(c.env.KV, publisher, month, bps);
    if (!built.ok) throw summaryInvalid(built.host, built.date);
    if (/\btext\/csv\b/.test(c.req.header('accept') ?? '')) {
      return c.body(statementCsv(built.statement), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="statement-${publisher.publisherId}-${month}.csv"`,
      });
    }
    return c.json(built.statement);
  })
  .get('/publishers/:publisherId/payouts', async (c) => {
    const bps = feeBps(c.env);
    const publisher = await publisherOf(c);
    if (!publisher) throw publisherNotFound();
    const owed = await amountOwed(c.env, publisher, bps, utcDay(Date.now()).slice(0, 7));
    if (!owed.ok) throw summaryInvalid(owed.host, owed.date);
    return c.json(owed.owed);
  })
  .post('/publishers/:publisherId/payouts', validated('json', newPayout), async (c) => {
    const publisherId = c.req.param('publisherId');
    if (!PUBLISHER_ID.test(publisherId)) throw publisherNotFound();
    const payout = { payoutId: randomId('pay_'), ...c.req.valid('json') };
    const recorded = await publisherRegistry(c.env).recordPayout(publisherId, payout);
    if (!recorded.ok) {
      throw recorded.reason === 'no_such_publisher'
        ? publisherNotFound()
        : new AppError('duplicate_reference', 'reference: a payout with this reference is already recorded for this publisher', {
            field: 'reference',
          });
    }
    await recordChange(c, { action: 'publisher.payout', publisherId, before: null, after: JSON.stringify(recorded.payout) });
    return c.json(recorded.payout, 201);
  });
