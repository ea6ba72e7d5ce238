import { app } from './app';

export { AdminAudit } from './admin/admin-audit';
export { PublisherRegistry } from './publishers/publisher-registry';
export { CrawlerNonces } from './crawlers/crawler-nonces';
export { UsageAggregator } from './usage/usage-aggregator';
export { Wallet } from './wallet/wallet';
export { PaymentIndex } from './stripe/payment-index';
export { TakeBackLog } from './usage/take-back-log';

export default app satisfies ExportedHandler<Env>;
