import { Hono } from 'hono';
import { csrf } from 'hono/csrf';
import { AppError } from '../http/app-error';
import type { AppEnv } from '../http/app-types';
import { accountHref } from '../pages/account-page';
import { pageHeaders, formBodyLimit } from '../pages/page-headers';
import { ReceiptPage } from '../pages/receipt-page';
import { isTakeBackReason } from '../usage/take-back-reasons';
import { walletOf } from '../wallet/wallet-stub';
import { walletOwnerOf } from './authenticate';
import { takeBackView } from './take-back-view';
import { walletPagesOnWalletHost } from '../identity/wallet-host-pages';

const RECEIPT = /^[0-9a-f-]{36}$/;

/** A receipt that is not one of this wallet's: a page that says so, as for any id a link could carry. */
const noSuchReceipt = () => new AppError('not_found', 'No such receipt in your account.', { page: true });

/** `/__paywall/account/receipts/:receipt`: one charge, and its take-back form. */
export const receiptRoutes = new Hono<AppEnv>()
  .use(pageHeaders)
  .use(walletPagesOnWalletHost)
  .use(csrf())
  .use(formBodyLimit(4 * 1024))
  .get('/:receipt', async (c) => {
    const readerId = await walletOwnerOf(c);
    const id = c.req.param('receipt');
    if (!readerId) return c.redirect(accountHref({}), 303);
    const receipt = RECEIPT.test(id) ? await walletOf(c.env, readerId).receipt(id) : null;
    if (!receipt) throw noSuchReceipt();
    return c.html(<ReceiptPage receipt={receipt} error={null} />);
  })
  .post('/:receipt/take-back', async (c) => {
    const readerId = await walletOwnerOf(c);
    const id = c.req.param('receipt');
    if (!readerId) return c.redirect(accountHref({}), 303);
    const wallet = walletOf(c.env, readerId);
    const form = await c.req.parseBody();
    const reason = form.reason;
    if (!RECEIPT.test(id)) throw noSuchReceipt();
    if (!isTakeBackReason(reason)) {
      const receipt = await wallet.receipt(id);
      if (!receipt) throw noSuchReceipt();
      return c.html(<ReceiptPage receipt={receipt} error="Pick a reason from the list." />, 400);
    }
    const result = await takeBackView(c.env, (p) => c.executionCtx.waitUntil(p), readerId, id, reason);
    if (result.ok) return c.redirect(accountHref({ notice: 'taken-back' }), 303);
    const receipt = await wallet.receipt(id);
    if (!receipt) throw noSuchReceipt();
    const error =
      result.reason === 'too_late'
        ? 'Too late: a view can be taken back only within 10 minutes of its charge.'
        : `You have taken back ${'used' in result ? result.used : 0} views this month, the most allowed.`;
    return c.html(<ReceiptPage receipt={receipt} error={error} />, 409);
  });
