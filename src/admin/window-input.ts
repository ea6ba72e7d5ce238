/** Re-view windows typed as a whole number of seconds, minutes, hours or days. */
export type WindowUnit = 'seconds' | 'minutes' | 'hours' | 'days';

export const WINDOW_UNITS: Record<WindowUnit, number> = { days: 86_400, hours: 3_600, minutes: 60, seconds: 1 };

export type ParsedWindow = { ok: true; seconds: number | undefined } | { ok: false; message: string };

/** Empty text: no window, every view is charged. */
export function parseWindow(text: string, unit: WindowUnit): ParsedWindow {
  const t = text.trim();
  if (t === '') return { ok: true, seconds: undefined };
  if (!/^\d{1,9}$/.test(t)) return { ok: false, message: `must be a whole number of ${unit}, or empty for no window` };
  const seconds = Number(t) * WINDOW_UNITS[unit];
  if (seconds === 0) return { ok: false, message: 'must be at least 1, or empty for no window' };
  return { ok: true, seconds };
}

/** The largest unit that states `seconds` exactly. */
export function formatWindow(seconds: number | undefined): { value: string; unit: WindowUnit } {
  if (seconds === undefined) return { value: '', unit: 'hours' };
  for (const unit of ['days', 'hours', 'minutes'] as const) {
    if (seconds % WINDOW_UNITS[unit] === 0) return { value: String(seconds / WINDOW_UNITS[unit]), unit };
  }
  return { value: String(seconds), unit: 'seconds' };
}

export function isWindowUnit(value: string): value is WindowUnit {
  return Object.hasOwn(WINDOW_UNITS, value);
}
