// The Worker exactly as src/index.ts exports it, given an env that counts its billable
// calls (test/support/counting-env.ts). Built only for the bench's cost phase; the
// speed scenarios run the unwrapped build.
import worker from '../src/index';
import { usageOf } from '../src/usage/usage-stub';
import { walletOf } from '../src/wallet/wallet-stub';
import { countingEnv, newOpCounts } from '../test/support/counting-env';

export * from '../src/index';

const counts = newOpCounts();

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/__bench/op-counts') return Response.json(counts);
    if (url.pathname === '/__bench/wallet-stats') {
      const ids = (url.searchParams.get('readers') ?? '').split(',').filter(Boolean);
      const stats = await Promise.all(ids.map((id) => walletOf(env, id).stats()));
      const sum = (key: 'rowsWritten' | 'alarmsSet' | 'flushes' | 'deliveries' | 'cursorRows') =>
        stats.reduce((total, s) => total + s[key], 0);
      return Response.json({
        rowsWritten: sum('rowsWritten'),
        viewRows: sum('rowsWritten') - sum('cursorRows'),
        cursorRows: sum('cursorRows'),
        alarmsSet: sum('alarmsSet'),
        flushes: sum('flushes'),
        deliveries: sum('deliveries'),
      });
    }
    if (url.pathname === '/__bench/usage-stats') {
      return Response.json(await usageOf(env, url.searchParams.get('host') ?? '').stats());
    }
    return worker.fetch(request, countingEnv(env, counts), ctx);
  },
} satisfies ExportedHandler<Env>;
