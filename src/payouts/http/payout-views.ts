import { z } from 'zod';
import { PayoutResult } from '../payouts.service';
import { PayoutActionView } from './payouts.schemas';

export const resultView = (result: PayoutResult): z.infer<typeof PayoutActionView> => ({
  payoutId: result.payoutId,
  recorded: result.recorded,
  type: result.event?.type ?? null,
});
