import type { LedgerEntry } from '../wallet/ledger-entry';
import { usdForPeople } from '../money';
import { Layout } from './layout';
import { TopUpButtons, type TopUpOptions } from './top-up-buttons';
import { MIN_TOPUP_MICROS, MAX_TOPUP_MICROS } from '../reader/topup-amount';
import { WithdrawSection } from './withdraw-section';
import { TakeBackForm } from './take-back-form';
import { NamedTokensSection, type NamedTokenRow } from './named-tokens-section';
import { historyLine, MONEY_OUT } from './history-text';
import { LOCAL_TIMES_SCRIPT_PATH } from './local-times-script';
import { CapLine, capBlocks, capResets, type CapStatus } from './daily-cap-status';
import { ProtectBalance, RecoveryCodeNotice, SignOutSection, WalletSections, type WalletSectionsProps } from './wallet-sections';

/** Where to continue: a path of this site, or on the wallet host a connect step back to `label` (the publisher's article). */
export type ReturnInfo = { path: string; priceMicros: number | null; label?: string };
export type FormError = { field: 'amount' | 'dailyCap' | 'askAbove' | 'withdraw' | null; message: string };

export type AccountPageProps = {
  readerId: string;
  balanceMicros: number;
  dailyCapMicros: number | null;
  /** Charges less refunds since 00:00 UTC, against the daily cap. */
  spentTodayMicros: number;
  /** Views priced above it are asked about first; null: never asked. */
  askAboveMicros: number | null;
  entries: LedgerEntry[];
  /** The page of history shown: null for the newest; `olderThan` links further back. */
  before: number | null;
  olderThan: number | null;
  returnTo: ReturnInfo | null;
  topUps: TopUpOptions;
  notice: string | null;
  error: FormError | null;
  /** What the reader typed, shown again beside an error. */
  typed: { amount?: string; dailyCap?: string; askAbove?: string; withdraw?: string };
  /** What can go back to the card; null where card top-ups are not offered. */
  withdrawableMicros: number | null;
  /** Receipts of charges the reader may still take back (within 10 minutes, allowance left). */
  takeBackable?: string[];
  /** On the wallet host: passkeys, connected sites, recovery code, sign-out. */
  walletHost?: WalletHostParts | null;
};

export type WalletHostParts = Omit<WalletSectionsProps, 'usdForPeople'> & {
  askForPasskey?: boolean;
  tokens: NamedTokenRow[];
  newToken: { name: string; token: string } | null;
  tokenError: string | null;
};

export const NOTICES = {
  created: 'Your reading account is ready. Top up once, then each article is paid from your balance.',
  'dev-topup': 'Demo top-up added to your balance.',
  paid: 'Thank you: your card payment went through. The balance below includes it as soon as Stripe confirms it, usually within seconds; reload the page if it does not yet.',
  cancelled: 'Top-up cancelled: nothing was charged.',
  'cap-saved': 'Your daily cap is saved.',
  'cap-removed': 'Your daily cap is removed.',
  'ask-saved': 'Saved: articles above that price will ask you first.',
  'ask-removed': 'Saved: articles are paid without asking, within your balance and daily cap.',
  withdrawn: 'Refunded to your card: it arrives in 5 to 10 business days.',
  'withdrawal-pending': 'Your withdrawal is on its way; Stripe has not confirmed it yet. It is held out of your balance until it does.',
  'withdrawal-returned': 'Stripe could not refund your card, so the money is back in your balance.',
  'taken-back': 'View taken back: the money is back in your balance.',
  disconnected: 'Disconnected: that site can no longer charge your wallet.',
  'signed-out-everywhere': 'Signed out everywhere: every browser and every site must sign in again.',
  'passkey-added': 'Passkey added: you can now sign in with it on this and your synced devices.',
  'passkey-removed': 'Passkey removed.',
  'signed-in': 'Signed in.',
  'token-revoked': 'Token revoked: it pays for nothing more.',
  recovered: 'Signed in with your recovery code. That code is now used up: keep the new one below, and add a passkey for this device.',
} as const;
export type NoticeKey = keyof typeof NOTICES;

/** Links within the account page keep the article to return to. */
export function accountHref(params: { returnTo?: string | null; before?: number | null; notice?: NoticeKey }) {
  const q = new URLSearchParams();
  if (params.returnTo) q.set('return', params.returnTo);
  if (params.before) q.set('before', String(params.before));
  if (params.notice) q.set('notice', params.notice);
  const s = q.toString();
  return `/__paywall/account${s ? `?${s}` : ''}`;
}

export function AccountPage(p: AccountPageProps) {
  const returnPath = p.returnTo?.path ?? null;
  const cap: CapStatus | null =
    p.dailyCapMicros === null ? null : { dailyCapMicros: p.dailyCapMicros, spentTodayMicros: p.spentTodayMicros };
  return (
    <Layout title={p.walletHost ? 'Your wallet' : 'Your reading account'} back={p.walletHost ? null : undefined}>
      <h1>{p.walletHost ? 'Your wallet' : 'Your reading account'}</h1>
      {p.notice && (
        <p class="notice" role="status" data-testid="notice">
          {p.notice}
        </p>
      )}
      {p.error && (p.error.field === null || (p.error.field === 'amount' && !p.topUps.card)) && (
        <p class="error" role="alert">
          {p.error.message}
        </p>
      )}
      {p.walletHost?.newRecoveryCode && <RecoveryCodeNotice code={p.walletHost.newRecoveryCode} />}
      {p.returnTo && <ContinueReading returnTo={p.returnTo} balanceMicros={p.balanceMicros} cap={cap} askAboveMicros={p.askAboveMicros} />}
      {p.walletHost && (p.walletHost.passkeys.length === 0 || p.walletHost.askForPasskey) && (
        <ProtectBalance next={returnPath} thisDevice={p.walletHost.passkeys.length > 0} />
      )}

      <section class="card" aria-labelledby="balance-heading">
        <h2 id="balance-heading">Balance</h2>
        <p class="amount" data-testid="balance">
          {usdForPeople(p.balanceMicros)}
        </p>
        {cap ? <CapLine cap={cap} /> : <p class="hint">No daily cap. Spent today: {usdForPeople(p.spentTodayMicros)}.</p>}
      </section>

      <section class="card" id="top-up" aria-labelledby="top-up-heading">
        <h2 id="top-up-heading">Top up</h2>
        <TopUpButtons
          options={p.topUps}
          returnTo={returnPath}
          amounts={{ card: [5_000_000, 10_000_000, 20_000_000], dev: [1_000_000, 5_000_000] }}
          idPrefix="account-topup"
        />
        {p.topUps.card && (
          <OtherAmount returnTo={returnPath} error={p.error?.field === 'amount' ? p.error.message : null} typed={p.typed.amount} />
        )}
        {p.topUps.card && <p class="hint">Card payments are handled by Stripe; this site never sees your card.</p>}
      </section>

      <section class="card" id="daily-cap" aria-labelledby="cap-heading">
        <h2 id="cap-heading">Daily spending cap</h2>
        <DailyCapForm
          returnTo={returnPath}
          capMicros={p.dailyCapMicros}
          error={p.error?.field === 'dailyCap' ? p.error.message : null}
          typed={p.typed.dailyCap}
        />
      </section>

      <section class="card" id="ask-above" aria-labelledby="ask-heading">
        <h2 id="ask-heading">Ask before paying</h2>
        <AskAboveForm
          returnTo={returnPath}
          askAboveMicros={p.askAboveMicros}
          error={p.error?.field === 'askAbove' ? p.error.message : null}
          typed={p.typed.askAbove}
        />
      </section>

      {p.withdrawableMicros !== null && (
        <WithdrawSection
          withdrawableMicros={p.withdrawableMicros}
          returnTo={returnPath}
          error={p.error?.field === 'withdraw' ? p.error.message : null}
          typed={p.typed.withdraw}
        />
      )}

      <section class="card" aria-labelledby="history-heading">
        <h2 id="history-heading">History</h2>
        <History entries={p.entries} takeBackable={p.takeBackable ?? []} withSite={Boolean(p.walletHost)} />
        <nav class="pager" aria-label="History pages">
          {p.before !== null ? <a href={`${accountHref({ returnTo: returnPath })}#history-heading`}>Newest entries</a> : <span />}
          {p.olderThan !== null && (
            <a href={`${accountHref({ returnTo: returnPath, before: p.olderThan })}#history-heading`}>Older entries</a>
          )}
        </nav>
        {p.entries.length > 0 && (
          <p class="small">
            <a href="/__paywall/account/history.csv" download data-testid="history-csv">
              Download the whole history (CSV)
            </a>
          </p>
        )}
        {p.entries.length > 0 && <script src={LOCAL_TIMES_SCRIPT_PATH} defer />}
      </section>

      {p.walletHost && <WalletSections {...p.walletHost} usdForPeople={usdForPeople} />}
      {p.walletHost && (
        <NamedTokensSection
          tokens={p.walletHost.tokens}
          newToken={p.walletHost.newToken}
          error={p.walletHost.tokenError}
          usdForPeople={usdForPeople}
        />
      )}
      {p.walletHost && <SignOutSection />}

      {!p.walletHost && <p class="small muted">This account lives in this browser (a cookie); there is no password.</p>}
      <p class="small muted">
        Reader id: <code class="nowrap">{p.readerId}</code>
      </p>
    </Layout>
  );
}

function ContinueReading(props: { returnTo: ReturnInfo; balanceMicros: number; cap: CapStatus | null; askAboveMicros: number | null }) {
  const { path, priceMicros, label } = props.returnTo;
  const covers = priceMicros !== null && props.balanceMicros >= priceMicros;
  const blocked = priceMicros !== null && priceMicros > 0 && capBlocks(props.cap, priceMicros);
  const asks = priceMicros !== null && props.askAboveMicros !== null && priceMicros > props.askAboveMicros;
  return (
    <section class="card highlight" aria-labelledby="continue-heading">
      <h2 id="continue-heading">Continue reading</h2>
      <p>
        <code>{label ?? path}</code>
        {priceMicros !== null && priceMicros > 0 && <> costs {usdForPeople(priceMicros)}, paid from your balance when you open it.</>}
      </p>
      {priceMicros === null || priceMicros === 0 ? (
        <p class="actions">
          <a class="button" href={path}>
            Back to the article
          </a>
        </p>
      ) : covers && blocked ? (
        <>
          <p data-testid="cap-blocks">
            <strong>This would exceed your daily cap:</strong> you have spent {usdForPeople(props.cap!.spentTodayMicros)} of your{' '}
            {usdForPeople(props.cap!.dailyCapMicros)} cap today. Raise it below, or come back once it {capResets()}.
          </p>
          <p class="actions">
            <a class="button secondary" href="#daily-cap">
              Change my daily cap
            </a>
          </p>
        </>
      ) : covers && asks ? (
        <>
          <p class="hint">
            It costs more than the {usdForPeople(props.askAboveMicros!)} you pay without asking: the article asks you to confirm first.
          </p>
          <p class="actions">
            <a class="button" href={path} data-testid="continue-to-confirm">
              Continue to the article
            </a>
          </p>
        </>
      ) : covers ? (
        <p class="actions">
          <a class="button" href={path} data-testid="pay-and-read">
            Pay {usdForPeople(priceMicros)} and read
          </a>
        </p>
      ) : (
        <p>Your balance does not cover it yet: top up below.</p>
      )}
    </section>
  );
}

function OtherAmount(props: { returnTo: string | null; error: string | null; typed: string | undefined }) {
  return (
    <form method="post" action="/__paywall/account/topup" novalidate>
      {props.returnTo && <input type="hidden" name="return" value={props.returnTo} />}
      <label for="topup-amount">Other amount (USD)</label>
      <p class="hint" id="topup-amount-hint">
        From {usdForPeople(MIN_TOPUP_MICROS)} to {usdForPeople(MAX_TOPUP_MICROS)}, in whole cents.
      </p>
      {props.error && (
        <p class="field-error" id="topup-amount-error">
          {props.error}
        </p>
      )}
      <div class="field-row">
        <input
          id="topup-amount"
          name="amount"
          inputmode="decimal"
          autocomplete="off"
          value={props.typed ?? ''}
          aria-describedby={props.error ? 'topup-amount-hint topup-amount-error' : 'topup-amount-hint'}
          aria-invalid={props.error ? 'true' : undefined}
          required
        />
        <button type="submit">Pay with a card</button>
      </div>
    </form>
  );
}

function DailyCapForm(props: { returnTo: string | null; capMicros: number | null; error: string | null; typed: string | undefined }) {
  const current = props.capMicros === null ? '' : usdForPeople(props.capMicros).slice(1);
  return (
    <form method="post" action="/__paywall/account/cap" novalidate>
      {props.returnTo && <input type="hidden" name="return" value={props.returnTo} />}
      <label for="daily-cap-input">Most you want to spend per day (USD)</label>
      <p class="hint" id="daily-cap-hint">
        Articles beyond it wait until the next day (UTC). Leave empty for no cap.
      </p>
      {props.error && (
        <p class="field-error" id="daily-cap-error">
          {props.error}
        </p>
      )}
      <div class="field-row">
        <input
          id="daily-cap-input"
          name="dailyCap"
          inputmode="decimal"
          autocomplete="off"
          value={props.typed ?? current}
          aria-describedby={props.error ? 'daily-cap-hint daily-cap-error' : 'daily-cap-hint'}
          aria-invalid={props.error ? 'true' : undefined}
        />
        <button type="submit">Save cap</button>
      </div>
    </form>
  );
}

function AskAboveForm(props: { returnTo: string | null; askAboveMicros: number | null; error: string | null; typed: string | undefined }) {
  const current = props.askAboveMicros === null ? '' : usdForPeople(props.askAboveMicros).slice(1);
  return (
    <form method="post" action="/__paywall/account/ask-above" novalidate>
      {props.returnTo && <input type="hidden" name="return" value={props.returnTo} />}
      <label for="ask-above-input">Pay automatically up to (USD per article)</label>
      <p class="hint" id="ask-above-hint">
        An article that costs more shows its price and waits for your click. Leave empty to never be asked.
      </p>
      {props.error && (
        <p class="field-error" id="ask-above-error">
          {props.error}
        </p>
      )}
      <div class="field-row">
        <input
          id="ask-above-input"
          name="askAbove"
          inputmode="decimal"
          autocomplete="off"
          value={props.typed ?? current}
          aria-describedby={props.error ? 'ask-above-hint ask-above-error' : 'ask-above-hint'}
          aria-invalid={props.error ? 'true' : undefined}
        />
        <button type="submit">Save</button>
      </div>
    </form>
  );
}

/** `withSite`: on the wallet host, where one history holds every publisher's charges, each names its site. */
function History(props: { entries: LedgerEntry[]; takeBackable: string[]; withSite: boolean }) {
  if (props.entries.length === 0) return <p>Nothing yet: top-ups and the articles you read appear here.</p>;
  return (
    // biome-ignore lint/a11y/useSemanticElements: the scrolling wrapper of a table, not a section of the page
    <div class="table-wrap" tabindex={0} role="region" aria-labelledby="history-heading">
      <table>
        <thead>
          <tr>
            <th scope="col" class="when" data-local-heading>
              When (UTC)
            </th>
            <th scope="col">What</th>
            <th scope="col" class="num">
              Amount
            </th>
            <th scope="col" class="num after">
              Balance
            </th>
          </tr>
        </thead>
        <tbody>
          {props.entries.map((e) => (
            <tr data-testid={`entry-${e.type}`}>
              <td class="when">
                <time datetime={e.at} data-local>
                  <span class="date">{e.at.slice(0, 10)}</span> <span class="time">{e.at.slice(11, 16)}</span>
                </time>
              </td>
              <td class="what">
                <What entry={e} withSite={props.withSite} />
                {e.type === 'charge' && props.takeBackable.includes(e.id) && <TakeBackForm receipt={e.id} idSuffix={e.id} compact />}
              </td>
              <td class="num">{(MONEY_OUT.has(e.type) ? '−' : '+') + usdForPeople(e.amountMicros)}</td>
              <td class="num after">{usdForPeople(e.balanceAfterMicros)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Long paths may wrap before a slash on a narrow screen, rather than mid-word. */
function BreakableText(props: { text: string }) {
  const parts = props.text.split(/(?=\/)/);
  return (
    <>
      {parts.map((part, i) =>
        i === 0 ? (
          part
        ) : (
          <>
            <wbr />
            {part}
          </>
        ),
      )}
    </>
  );
}

/**
 * What an entry was: its label, then for a charge the article's title (from the page's
 * `<title>`) with its publisher and path, or the path alone where the page gave no title;
 * for the rest, the reason in words.
 */
function What(props: { entry: LedgerEntry; withSite: boolean }) {
  const line = historyLine(props.entry);
  const page = line.path ? (props.withSite && line.site ? line.site + line.path : line.path) : null;
  const text = [props.entry.type === 'refund' ? page : null, line.detail].filter(Boolean).join(': ');
  return (
    <>
      <span class="tag">{line.label}</span>{' '}
      {props.entry.type === 'charge' ? (
        line.title ? (
          <>
            <span class="title" data-testid="entry-title">
              {line.title}
            </span>{' '}
            <span class="hint where">
              <BreakableText text={page ?? ''} />
            </span>
          </>
        ) : (
          <BreakableText text={page ?? ''} />
        )
      ) : (
        <BreakableText text={text} />
      )}
    </>
  );
}
