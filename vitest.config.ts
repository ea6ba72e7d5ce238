import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          TOKEN_SECRET: 'test-token-secret-0123456789abcdef',
          ADMIN_TOKEN: 'test-admin-token',
          STRIPE_WEBHOOK_SECRET: 'whsec_test_secret',
          DEV_TOPUP: 'true',
          DEFAULT_SITE: '',
          ORIGIN_TIMEOUT_MS: '1000',
          ORIGIN_SECRET: 'test-origin-secret',
          TEST_ORIGIN: `http://127.0.0.1:${inject('originPort' as never)}`,
          WRANGLER_LAUNCHER: `http://127.0.0.1:${inject('wranglerLauncherPort' as never)}`,
        },
      },
    })),
  ],
  test: {
    globalSetup: ['./test/support/origin-server.ts', './test/support/wrangler-dev.ts'],
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**'],
    testTimeout: 30_000,
  },
});
