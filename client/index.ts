export { PaywallClient, PaymentOutcomeUnknown, type PaywallClientOptions, type PaywallRequestInit, type Protocol } from './paywall-client';
export {
  readPaymentRequired,
  readReceipt,
  formatUsd,
  parseUsd,
  type PaymentRequired,
  type Receipt,
  type X402PaymentRequired,
  type X402Settlement,
} from './wire';
export { PrepaidScheme, PREPAID_ASSET, PREPAID_NETWORK, PREPAID_SCHEME, type PrepaidSchemeOptions } from './x402-prepaid-scheme';
