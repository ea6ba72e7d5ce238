import type {
  DefaultAsset,
  Network,
  PaymentPayloadContext,
  PaymentPayloadResult,
  PaymentRequirements,
  SchemeNetworkClient,
} from '@x402/core/types';

/**
 * The paywall's `prepaid` scheme for the official x402 client (`@x402/core`, `@x402/fetch`):
 *
 *   const client = new x402Client().register(PREPAID_NETWORK, new PrepaidScheme({ token }));
 *   const pay = wrapFetchWithPayment(fetch, client);
 *
 * Nothing is signed on a chain: the payload carries the reader token, and the server
 * charges the rule's price (never more than the `accepted.amount` the client agreed to)
 * from the reader's prepaid balance. Only types are imported, so the official packages
 * stay the agent's dependency, not ours.
 */
export const PREPAID_SCHEME = 'prepaid';
/** The CAIP-2 network id our 402 advertises: the paywall's own ledger. */
export const PREPAID_NETWORK = 'paywall:ledger' satisfies Network;
/** Amounts are micros of US dollars (1 USD = 1,000,000), i.e. an asset with 6 decimals. */
export const PREPAID_ASSET: DefaultAsset = { asset: 'USD', decimals: 6, symbol: 'USD' };

export type PrepaidSchemeOptions = {
  /** The reader token from `POST /__paywall/api/readers` (or a named token from the wallet host). */
  token: string;
};

export class PrepaidScheme implements SchemeNetworkClient {
  readonly scheme = PREPAID_SCHEME;
  private readonly token: string;

  constructor(options: PrepaidSchemeOptions) {
    if (!options.token) throw new TypeError('PrepaidScheme needs the reader token');
    this.token = options.token;
  }

  /**
   * The client's spend controls accept only assets this names, and cap them in US
   * dollars ("$1" a payment unless the agent sets its own `maxAmountPerPayment`).
   */
  findDefaultAsset(asset: string, network: Network): DefaultAsset | undefined {
    return asset === PREPAID_ASSET.asset && network === PREPAID_NETWORK ? PREPAID_ASSET : undefined;
  }

  async createPaymentPayload(
    x402Version: number,
    requirements: PaymentRequirements,
    context?: PaymentPayloadContext,
  ): Promise<PaymentPayloadResult> {
    if (x402Version !== 2) throw new Error(`The prepaid scheme speaks x402 version 2, not ${x402Version}`);
    if (requirements.scheme !== PREPAID_SCHEME || requirements.network !== PREPAID_NETWORK) {
      throw new Error(`PrepaidScheme pays ${PREPAID_SCHEME} on ${PREPAID_NETWORK}, not ${requirements.scheme} on ${requirements.network}`);
    }
    if (!/^\d{1,16}$/.test(requirements.amount)) throw new Error(`Not an amount of micros: ${requirements.amount}`);
    // `accepted.amount` is the most the server may take; never agree to more than the cap.
    const cap = context?.maxAmountPerPayment;
    if (cap !== undefined && BigInt(requirements.amount) > BigInt(cap)) {
      throw new Error(`The price, ${requirements.amount} micros, is above this client's cap of ${cap}`);
    }
    return { x402Version, payload: { token: this.token } };
  }
}
