/** The one publisher registry of the deployment. */
export function publisherRegistry(env: Env) {
  return env.PUBLISHERS.get(env.PUBLISHERS.idFromName('publishers'));
}
