import { usdForPeople } from '../money';
import { Layout } from './layout';
import { PASSKEYS_SCRIPT_PATH } from './passkeys-script';
import { ProtectBalance } from './wallet-sections';
import { connectPath } from '../identity/continuation';

export type ConnectProps = {
  site: string;
  returnPath: string;
  dailyCapMicros: number | null;
  balanceMicros: number;
  /** The wallet has no passkey yet: offered here too, before any money goes in. */
  offerPasskey: boolean;
  /** The article on the publisher, where "Not now" leads. */
  back: string;
};

/** The consent asked once per publisher: it may charge this wallet, within the daily cap. */
export function ConnectConsentPage(props: ConnectProps) {
  return (
    <Layout title={`Allow ${props.site} to charge your wallet?`} back={{ href: props.back, label: `← Back to ${props.site}` }}>
      <h1>Allow {props.site} to charge your wallet?</h1>
      <section class="card" aria-labelledby="consent-heading">
        <h2 id="consent-heading" class="visually-hidden">
          What you allow
        </h2>
        <p>
          <strong>{props.site}</strong> may charge your wallet for the articles you open there,{' '}
          {props.dailyCapMicros === null
            ? 'at the price each article shows.'
            : `within your daily cap of ${usdForPeople(props.dailyCapMicros)}.`}
        </p>
        <p>
          It cannot top up, change your cap, see what you read elsewhere or move your money. You can disconnect it at any time from your
          wallet.
        </p>
        <p>
          Your balance: <strong data-testid="balance">{usdForPeople(props.balanceMicros)}</strong>
        </p>
        <form method="post" action="/__paywall/connect" class="actions">
          <input type="hidden" name="site" value={props.site} />
          <input type="hidden" name="return" value={props.returnPath} />
          <button type="submit" name="decision" value="allow">
            Allow and continue
          </button>
          <a class="button secondary" href={props.back}>
            Not now
          </a>
        </form>
      </section>
      {props.offerPasskey && (
        <>
          <ProtectBalance next={connectPath(props.site, props.returnPath)} quiet />
          <script src={PASSKEYS_SCRIPT_PATH} defer />
        </>
      )}
    </Layout>
  );
}

/** A connect step that cannot go on: an unknown site, an expired or used code. */
export function ConnectProblemPage(props: { title: string; message: string; back: string | null }) {
  return (
    <Layout title={props.title} back={null}>
      <h1>{props.title}</h1>
      <section class="card">
        <p role="alert">{props.message}</p>
        {props.back && (
          <p class="actions">
            <a class="button" href={props.back}>
              Try again
            </a>
          </p>
        )}
      </section>
    </Layout>
  );
}
