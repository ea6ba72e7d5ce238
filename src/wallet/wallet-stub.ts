/** The Durable Object that holds one reader's money. */
export function walletOf(env: Env, readerId: string) {
  return env.WALLET.get(env.WALLET.idFromName(readerId));
}
