/** Limits on every event-store read and append, so no caller can ask for an unbounded amount (settings are bounded by them too). */
export const MAX_READ_COUNT = 10_000;
export const DEFAULT_READ_COUNT = 1_000;
export const MAX_EVENTS_PER_APPEND = 1_000;
