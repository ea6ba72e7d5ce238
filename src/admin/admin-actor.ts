/** Who made an admin change: a caller of the API with the bearer token, or a signed-in console session. */
export type AdminActor = { via: 'api' } | { via: 'console'; sessionId: string };
