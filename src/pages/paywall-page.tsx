import { Layout } from './layout';
import { usdForPeople } from '../money';
import { TopUpButtons, type TopUpOptions } from './top-up-buttons';
import type { PaymentRequiredReason } from '../paywall/view-outcome';
import { CapLine, capHeadline, type CapStatus } from './daily-cap-status';

const HEADLINES: Record<PaymentRequiredReason, string> = {
  payment_required: 'This article is part of the paywall',
  insufficient_balance: 'Your balance does not cover this article',
  daily_cap_reached: 'You have reached your daily spending cap',
  price_above_max: 'This article costs more than you allowed',
};

export type PaywallPageProps = {
  reason: PaymentRequiredReason;
  priceMicros: number;
  balanceMicros: number | null;
  /** The article, as a safe same-site path; null if it cannot be returned to. */
  returnTo: string | null;
  topUps: TopUpOptions;
  /** With a wallet host: where this publisher's readers connect their wallet, and their account there. */
  wallet?: { connect: string; account: string } | null;
  /** With a daily cap set: today's spending against it. */
  cap?: CapStatus | null;
  /** Above the reader's ask-before-paying threshold: the path one click confirms, and the threshold. */
  confirm?: { path: string; askAboveMicros: number | null } | null;
};

/**
 * The 402 page. A reader who can pay never sees it (the article is served and charged),
 * so it offers what unblocks the reader: an account, a top-up, or a higher cap. Every
 * way out comes back through the account page, whose "Pay and read" button is the one
 * click that buys the article once the balance covers it: paying is always a choice the
 * reader makes, never a side effect of topping up. Should the balance already cover the
 * price when this page is shown, the same button is offered here.
 */
export function PaywallPage(props: PaywallPageProps) {
  const returnQuery = props.returnTo ? `?return=${encodeURIComponent(props.returnTo)}` : '';
  const account = props.wallet ? props.wallet.account : `/__paywall/account${returnQuery}`;
  const price = usdForPeople(props.priceMicros);
  const covers = props.balanceMicros !== null && props.balanceMicros >= props.priceMicros;
  const headline = props.confirm
    ? `Pay ${price} for this article?`
    : props.reason === 'daily_cap_reached'
      ? capHeadline(props.cap ?? null)
      : HEADLINES[props.reason];
  return (
    <Layout title={props.confirm ? `Confirm: ${price}` : `Payment required: ${price}`}>
      <h1>{headline}</h1>
      <section class="card" aria-labelledby="price-label">
        <p id="price-label" class="muted">
          Price of this article
        </p>
        <p class="price" data-testid="price">
          {price}
        </p>
        {props.balanceMicros === null ? (
          <p>Pay per article from a prepaid balance: top up once, then each article costs a fraction of a cent.</p>
        ) : (
          <p>
            Your balance: <strong data-testid="balance">{usdForPeople(props.balanceMicros)}</strong>
          </p>
        )}
        {props.cap && props.balanceMicros !== null && <CapLine cap={props.cap} />}
        <Actions {...props} account={account} price={price} covers={covers} />
      </section>
      <p class="small muted">
        Your account and balance: <a href={account}>{props.wallet ? 'your wallet' : 'your reading account'}</a>.
      </p>
    </Layout>
  );
}

function Actions(props: PaywallPageProps & { account: string; price: string; covers: boolean }) {
  if (props.balanceMicros === null && props.wallet) {
    return (
      <>
        <p class="actions">
          <a class="button" href={props.wallet.connect} data-testid="continue-with-wallet">
            Continue with your wallet
          </a>
        </p>
        <p class="hint">One wallet pays on every site of this network. Sign in with a passkey, or make a wallet in one click.</p>
      </>
    );
  }
  if (props.balanceMicros === null) {
    return (
      <>
        <form method="post" action="/__paywall/account/create" class="actions">
          {props.returnTo && <input type="hidden" name="return" value={props.returnTo} />}
          <button type="submit">Create an account to read</button>
        </form>
        <p class="hint">No sign-up form: the account is kept in this browser. You top up on the next page.</p>
      </>
    );
  }
  if (props.confirm) {
    const limit = props.confirm.askAboveMicros;
    return (
      <>
        <p>
          {limit === null
            ? 'You asked to confirm articles above your limit before they are paid.'
            : `You pay automatically up to ${usdForPeople(limit)} an article; above that, you are asked first.`}{' '}
          One click pays this article once, from your balance.
        </p>
        <form method="post" action="/__paywall/confirm" class="actions">
          <input type="hidden" name="path" value={props.confirm.path} />
          <button type="submit" data-testid="confirm-pay">
            Pay {props.price} and read
          </button>
        </form>
        <p class="hint">
          <a href={`${props.account}#ask-above`}>Change when you are asked</a>
        </p>
      </>
    );
  }
  if (props.reason === 'daily_cap_reached') {
    const over = props.cap ? props.cap.spentTodayMicros < props.cap.dailyCapMicros : false;
    return (
      <>
        <p>
          {over
            ? `This article costs ${props.price}, which would take today's spending over the daily cap you set.`
            : "Today's spending has reached the daily cap you set."}{' '}
          Nothing was charged. You can raise or remove the cap, or read it after the reset.
        </p>
        <p class="actions">
          <a class="button" href={`${props.account}#daily-cap`} data-testid="change-cap">
            Change my daily cap
          </a>
        </p>
      </>
    );
  }
  if (props.covers && props.returnTo) {
    return (
      <p class="actions">
        <a class="button" href={props.returnTo}>
          Pay {props.price} and read
        </a>
      </p>
    );
  }
  if (props.wallet) {
    return (
      <p class="actions">
        <a class="button" href={`${props.account}#top-up`}>
          Top up your wallet
        </a>
      </p>
    );
  }
  return (
    <>
      <h2 id="top-up-heading">Top up to read</h2>
      <TopUpButtons
        options={props.topUps}
        returnTo={props.returnTo}
        amounts={{ card: [5_000_000], dev: [1_000_000] }}
        idPrefix="paywall-topup"
      />
      <p class="small">
        <a href={`${props.account}#top-up`}>Other amounts</a>
      </p>
    </>
  );
}
