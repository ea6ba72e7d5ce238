/** The Durable Object that owns one site's usage counts. */
export function usageOf(env: Env, host: string) {
  return env.USAGE.get(env.USAGE.idFromName(host));
}
