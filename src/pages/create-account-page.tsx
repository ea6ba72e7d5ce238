import { usdForPeople } from '../money';
import { Layout } from './layout';
import type { ReturnInfo } from './account-page';

/** The account page for a browser that has no reader yet. */
export function CreateAccountPage(props: { returnTo: ReturnInfo | null; error: string | null }) {
  const price = props.returnTo?.priceMicros;
  return (
    <Layout title="Create a reading account">
      <h1>Create a reading account</h1>
      {props.error && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
      <section class="card" aria-labelledby="how-heading">
        <h2 id="how-heading">How it works</h2>
        <p>Top up a balance once, by card. Each article you open is then paid from it, a fraction of a cent at a time.</p>
        {props.returnTo && price !== null && price !== undefined && price > 0 && (
          <p>
            The article you came from, <code>{props.returnTo.path}</code>, costs {usdForPeople(price)}.
          </p>
        )}
        <p class="hint">No sign-up form and no password: the account is kept in this browser (a cookie).</p>
        <form method="post" action="/__paywall/account/create" class="actions">
          {props.returnTo && <input type="hidden" name="return" value={props.returnTo.path} />}
          <button type="submit">Create my account</button>
        </form>
      </section>
      {props.returnTo && (
        <p>
          <a href={props.returnTo.path}>Back to the article</a>
        </p>
      )}
    </Layout>
  );
}
