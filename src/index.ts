import { app } from './app';

export { Wallet } from './wallet/wallet';

export default app satisfies ExportedHandler<Env>;
