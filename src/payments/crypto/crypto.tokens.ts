import { notFound } from '../../platform/errors/domain-error';

/** CoinbaseCommerce | null: null when crypto top-ups are disabled (no COINBASE_COMMERCE_API_KEY). */
export const COINBASE = Symbol('CoinbaseCommerce');

export function cryptoDisabled() {
  return notFound('crypto_payments_disabled', 'Crypto top-ups are not configured on this server (COINBASE_COMMERCE_API_KEY is unset).');
}

export function cryptoEnabled<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw cryptoDisabled();
  return value;
}
