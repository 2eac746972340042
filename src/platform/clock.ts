/** The time commands are stamped with: one place, so a test or a replay can reason about it. */
export const now = () => new Date().toISOString();
