export const LOGGER = Symbol('Logger');
export const METRICS = Symbol('Metrics');
