import { createContext } from 'hono/jsx';
import type { Role } from '../publishers/publisher-types';

/** Who is looking at a console page: the operator, or one of a publisher's people. The nav and some forms depend on it. */
export type Viewer = { kind: 'operator' } | { kind: 'person'; personName: string; publisherName: string; publisherId: string; role: Role };

export const ViewerContext = createContext<Viewer | null>(null);
