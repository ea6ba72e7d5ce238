import { Hono } from 'hono';
import { AppError } from '../http/app-error';
import { z } from 'zod';
import type { AppEnv } from '../http/app-types';
import { validated } from '../http/json-errors';
import { log } from '../http/log';
import { readUsage } from '../usage/read-usage';
import { isIsoDay, spanDays } from '../usage/utc-days';
import { HOST } from './site-routes';

/** A leap year: any calendar year can be read in one call. */
export const MAX_USAGE_DAYS = 366;

const day = z.string({ error: 'is required, as YYYY-MM-DD' }).refine(isIsoDay, { error: 'must be a calendar date written YYYY-MM-DD' });

const usageQuery = z.object({ from: day, to: day }).superRefine(({ from, to }, ctx) => {
  if (from > to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'must not be after to' });
  else if (spanDays(from, to) > MAX_USAGE_DAYS) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: `must be at most ${MAX_USAGE_DAYS} days from from (both included)` });
  }
});

export const usageRoutes = new Hono<AppEnv>().get('/usage/:host', validated('query', usageQuery), async (c) => {
  const host = c.req.param('host');
  if (!HOST.test(host)) throw new AppError('invalid_host', 'The host must be a lower-case host name.', { field: 'host' });
  const { from, to } = c.req.valid('query');
  const result = await readUsage(c.env.KV, host, from, to);
  if (!result.ok) {
    log('error', 'usage_summary_invalid', { host, date: result.date });
    throw new AppError('invalid_usage_summary', `The usage summary for ${result.date} is not valid.`);
  }
  return c.json(result.usage);
});
