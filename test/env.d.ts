declare namespace Cloudflare {
  interface Env {
    /** The loopback origin started by test/support/origin-server.ts. */
    TEST_ORIGIN: string;
  }
}
