import { app } from './app';

export { AdminAudit } from './admin/admin-audit';
export { PublisherRegistry } from './publishers/publisher-registry';
export { UsageAggregator } from './usage/usage-aggregator';
export { Wallet } from './wallet/wallet';

export default app satisfies ExportedHandler<Env>;
