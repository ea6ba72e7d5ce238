import { Layout } from './layout';

const TITLES: Record<number, string> = {
  400: 'That did not work',
  403: 'Not allowed here',
  404: 'Not found',
  413: 'Too large',
  429: 'Too many attempts',
};

/** The heading of a refusal's page: the one it was given, else its status's. */
export function errorTitle(status: number, title?: string): string {
  return title ?? TITLES[status] ?? 'Something went wrong';
}

/**
 * A page route's refusal, said plainly: what the JSON API would say in `message`, under a
 * heading, with the way back to the reader's wallet (every such page is one of its forms
 * or receipts), so that the page is not a dead end.
 */
export function ErrorPage(props: { status: number; message: string; title?: string }) {
  const title = errorTitle(props.status, props.title);
  return (
    <Layout title={title} back={{ href: '/__paywall/account', label: '← Your wallet' }}>
      <h1>{title}</h1>
      <section class="card">
        <p role="alert">{props.message}</p>
      </section>
    </Layout>
  );
}
