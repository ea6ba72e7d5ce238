import { expect } from 'vitest';
import { ADMIN, adminCall, json } from './paywall';

export type CreatedPublisher = { publisherId: string; apiKey: string; keyId: string };

/** A publisher made by the operator, with its first API key. */
export async function createPublisher(name: string, hosts: string[]): Promise<CreatedPublisher> {
  const res = await adminCall('/__paywall/api/admin/publishers', json({ name, hosts }, ADMIN));
  expect(res.status).toBe(201);
  return res.json<CreatedPublisher>();
}

export const keyAuth = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });
