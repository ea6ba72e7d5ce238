import type { AdminActor } from '../admin/admin-actor';

export type AppEnv = { Bindings: Env; Variables: { readerId: string; admin: AdminActor } };
