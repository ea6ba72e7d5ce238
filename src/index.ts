import { app } from './app';

export { AdminAudit } from './admin/admin-audit';
export { CrawlerNonces } from './crawlers/crawler-nonces';
export { UsageAggregator } from './usage/usage-aggregator';
export { Wallet } from './wallet/wallet';

export default app satisfies ExportedHandler<Env>;
