import { notFound } from '../platform/errors/domain-error';
import { AppConfig, PaymentsConfig } from '../platform/config/config';

/** RazorpayGateway | null and PaymentJobs | null: null when payments are disabled (no Razorpay key). */
export const RAZORPAY = Symbol('RazorpayGateway');
export const PAYMENT_JOBS = Symbol('PaymentJobs');

/** Who the worker acts as in event metadata (the audit trail names it). */
export const WORKER_ACTOR = 'system:payments';

export function paymentsDisabled() {
  return notFound('payments_disabled', 'Payments are not configured on this server (RAZORPAY_KEY_ID is unset).');
}

export function enabled<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw paymentsDisabled();
  return value;
}

export function paymentsConfig(config: AppConfig): PaymentsConfig {
  return enabled(config.payments);
}
