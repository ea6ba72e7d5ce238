import { Hono } from 'hono';
import type { AppEnv } from '../http/app-types';
import { readersInDebt } from '../stripe/readers-in-debt';

/** `GET /__paywall/api/admin/readers-in-debt`: readers whose card payments were taken back below zero. */
export const debtRoutes = new Hono<AppEnv>().get('/readers-in-debt', async (c) => c.json({ readers: await readersInDebt(c.env) }));
