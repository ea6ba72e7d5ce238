// The Worker exactly as src/index.ts exports it, given an env that counts its billable
// calls (test/support/counting-env.ts). Built only for the bench's cost phase; the
// speed scenarios run the unwrapped build.
import worker from '../src/index';
import { walletOf } from '../src/wallet/wallet-stub';
import { countingEnv, newOpCounts } from '../test/support/counting-env';

export * from '../src/index';

const counts = newOpCounts();

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/__bench/op-counts') return Response.json(counts);
    if (url.pathname === '/__bench/wallet-rows') {
      const ids = (url.searchParams.get('readers') ?? '').split(',').filter(Boolean);
      const stats = await Promise.all(ids.map((id) => walletOf(env, id).stats()));
      return Response.json({ rowsWritten: stats.reduce((sum, s) => sum + s.rowsWritten, 0) });
    }
    return worker.fetch(request, countingEnv(env, counts), ctx);
  },
} satisfies ExportedHandler<Env>;
