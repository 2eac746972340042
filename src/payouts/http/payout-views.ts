import { PayoutResult } from '../payouts.service';

export interface PayoutActionView {
  payoutId: string;
  /** False when the command repeated an earlier one and nothing new was recorded. */
  recorded: boolean;
  type: string | null;
}

export const resultView = (result: PayoutResult): PayoutActionView => ({ payoutId: result.payoutId, recorded: result.recorded, type: result.event?.type ?? null });
