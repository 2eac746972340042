/** The shapes the console reads that the OpenAPI document does not hold. */

export interface ConsoleSettings {
  google: boolean;
  telegramBotId: string | null;
  payments: boolean;
  /** Razorpay Checkout's script (a setting); null when payments are off. */
  checkoutScriptUrl: string | null;
}
