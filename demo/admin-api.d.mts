/** Types for the browser tests, which call the demo's admin API the way `npm start` seeds it. */
export function adminRequest(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }>;
