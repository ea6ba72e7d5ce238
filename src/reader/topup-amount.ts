import { micros, MICROS_PER_CENT, usdForPeople } from '../money';

/** Stripe's smallest USD charge is 50 cents. */
export const MIN_TOPUP_MICROS = 500_000;
/** Ample for a balance spent a fraction of a cent at a time; a larger sum is more likely a slip of the finger. */
export const MAX_TOPUP_MICROS = 500_000_000;

/** A card top-up: whole cents (Stripe charges cents), within the bounds above. */
export const topupMicros = micros
  .multipleOf(MICROS_PER_CENT, { error: `must be a whole number of cents (a multiple of ${MICROS_PER_CENT} micros)` })
  .min(MIN_TOPUP_MICROS, { error: `must be at least ${MIN_TOPUP_MICROS} micros (${usdForPeople(MIN_TOPUP_MICROS)}, Stripe's minimum)` })
  .max(MAX_TOPUP_MICROS, { error: `must be at most ${MAX_TOPUP_MICROS} micros (${usdForPeople(MAX_TOPUP_MICROS)})` });
