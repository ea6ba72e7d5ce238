/** Why a reader took a view back: a fixed list, so publishers can count them and nobody writes to them freely. */
export const TAKE_BACK_REASONS = {
  mistake: 'Opened it by mistake',
  not_as_described: 'Not what the headline promised',
  broken: 'The page did not work',
  already_read: 'I had already read it',
} as const;

export type TakeBackReason = keyof typeof TAKE_BACK_REASONS;

export function isTakeBackReason(value: unknown): value is TakeBackReason {
  return typeof value === 'string' && Object.hasOwn(TAKE_BACK_REASONS, value);
}
