export type AppEnv = { Bindings: Env; Variables: { readerId: string } };
