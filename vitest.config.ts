import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { STANDIN_SECRET_KEY } from './test/support/stripe-standin.ts';

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          TOKEN_SECRET: 'test-token-secret-0123456789abcdef',
          ADMIN_TOKEN: 'test-admin-token',
          ADMIN_HOST: 'admin.test',
          WALLET_HOST: 'wallet.test',
          PLATFORM_FEE_BPS: '1250',
          STRIPE_WEBHOOK_SECRET: 'whsec_test_secret',
          DEV_TOPUP: 'true',
          DEFAULT_SITE: '',
          ORIGIN_TIMEOUT_MS: '1000',
          // Free views are sent as they happen, so tests can step the usage flow by hand.
          USAGE_BATCH_MS: '0',
          // Wrong admin tokens are answered at once, except in the test of the delay itself.
          WRONG_ADMIN_TOKEN_DELAY_MS: '0',
          ORIGIN_SECRET: 'test-origin-secret',
          TEST_ORIGIN: `http://127.0.0.1:${inject('originPort' as never)}`,
          STRIPE_SECRET_KEY: STANDIN_SECRET_KEY,
          STRIPE_API_BASE: `http://127.0.0.1:${inject('stripePort' as never)}`,
          WRANGLER_LAUNCHER: `http://127.0.0.1:${inject('wranglerLauncherPort' as never)}`,
        },
      },
    })),
  ],
  test: {
    globalSetup: ['./test/support/origin-server.ts', './test/support/stripe-standin.ts', './test/support/wrangler-dev.ts'],
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**'],
    testTimeout: 30_000,
  },
});
