declare namespace Cloudflare {
  interface Env {
    /** The loopback origin started by test/support/origin-server.ts. */
    TEST_ORIGIN: string;
    /** `GET <this>/start` starts `wrangler dev` (test/support/wrangler-dev.ts) and answers its URL. */
    WRANGLER_LAUNCHER: string;
  }
}
