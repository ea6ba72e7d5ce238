import { Layout } from './layout';
import { formatUsd } from './format';
import type { PaymentRequiredReason } from '../paywall/payment-required';

const HEADLINES: Record<PaymentRequiredReason, string> = {
  payment_required: 'This article is part of the paywall',
  insufficient_balance: 'Your balance does not cover this article',
  daily_cap_reached: 'You have reached your daily spending cap',
  price_above_max: 'This article costs more than you allowed',
};

export function PaywallPage(props: { reason: PaymentRequiredReason; priceMicros: number; balanceMicros: number | null; returnTo: string }) {
  const account = `/__paywall/account?return=${encodeURIComponent(props.returnTo)}`;
  return (
    <Layout title="Payment required">
      <h1>{HEADLINES[props.reason]}</h1>
      <div class="card">
        <p class="muted">Price of this article</p>
        <p class="price" data-testid="price">{formatUsd(props.priceMicros)}</p>
        {props.balanceMicros === null ? (
          <p>Create a reader account, top up once, and pay a fraction of a cent per article.</p>
        ) : (
          <p>
            Your balance: <strong data-testid="balance">{formatUsd(props.balanceMicros)}</strong>
          </p>
        )}
        <p>
          <a class="button" href={account}>
            {props.balanceMicros === null ? 'Create an account' : props.reason === 'daily_cap_reached' ? 'Change my daily cap' : 'Top up my balance'}
          </a>
        </p>
      </div>
    </Layout>
  );
}
