import { createExecutionContext, reset, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, expect, it } from 'vitest';
import worker from '../../src/index';
import type { UsageAggregator } from '../../src/usage/usage-aggregator';
import { HOST, newReader, useStandardSite } from '../support/paywall';
import { flushAll, kvTotals, usageStub } from '../support/usage';

afterEach(() => reset());

it('batches an isolate’s free views into few aggregator events, and still counts every one exactly', async () => {
  await useStandardSite();
  const reader = await newReader(100_000);
  const batchedEnv = { ...env, USAGE_BATCH_MS: '200' };
  const ctxs = Array.from({ length: 60 }, () => createExecutionContext());
  const paths = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? '/articles/same' : `/free/${i}`));
  const answers = await Promise.all(
    paths.map((p, i) => worker.fetch(new Request(`http://${HOST}${p}`, { headers: reader.auth }), batchedEnv, ctxs[i]!)),
  );
  await Promise.all(answers.map((r) => r.text()));
  await Promise.all(ctxs.map((c) => waitOnExecutionContext(c)));
  await flushAll([reader]);

  // 40 free views and 20 of one windowed article: 1 paid, 19 re-views.
  expect(await kvTotals()).toEqual({ views: 60, paidViews: 1, revenueMicros: 2500 });
  const events = await runInDurableObject(
    usageStub(),
    (_a: UsageAggregator, state) => state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM view_events').one().n,
  );
  expect(events).toBeLessThan(10);
});
