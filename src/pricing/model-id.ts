/**
 * Model ids as engines name them (`meta-llama/Llama-3.1-8B-Instruct`, `llama3:8b`). Checked by
 * prices, node registrations and upstreams alike; it lives in pricing, the lowest of the three,
 * so that pricing needs nothing from nodes/.
 */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$/;
