/**
 * A wallet made on a publisher host before the reader had one everywhere: its balance
 * moves into the signed-in wallet. Filled in by the transfer between wallets.
 */
export async function mergeCookieWallet(_env: Env, _fromReaderId: string, _toReaderId: string): Promise<void> {}
