import { zValidator } from '@hono/zod-validator';
import type { z } from 'zod';
import { AppError, type Issue } from './app-error';

export type { Issue };
export type ErrorBody = { error: string; message: string; field?: string; issues?: Issue[] };

export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

/**
 * A request part validated by a zod schema. A failure is a 400 that names the first
 * field at fault and lists every issue; the handler never runs, so nothing changes.
 * (Malformed JSON is turned into a 400 by the app's error handler.)
 */
export function validated<T extends 'json' | 'query' | 'param', S extends z.ZodType>(target: T, schema: S) {
  return zValidator(target, schema, (result) => {
    if (result.success) return;
    const error = result.error as unknown as z.ZodError;
    const issues = issuesOf(error);
    const first = issues[0] ?? { path: '', message: 'invalid request' };
    // An unknown field is named by itself, so that the answer says which field to remove.
    const raw = error.issues[0];
    const field = raw?.code === 'unrecognized_keys' ? [...raw.path, raw.keys[0]].join('.') : first.path;
    throw new AppError('invalid_request', first.path ? `${first.path}: ${first.message}` : first.message, {
      ...(field ? { field } : {}),
      issues,
    });
  });
}
