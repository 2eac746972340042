import type { Developer, InferenceHarness } from '../inference/harness';
import type { CoinbaseStandin } from '../standins/coinbase/standin';
import type { RazorpayStandin } from '../standins/razorpay/standin';
import type { ApiClient } from '../support/api-client';
import type { RoleName, SignedIn } from '../support/sign-in';
import type { ContractChecker } from './contract-checker';

/** What a scenario has: the app, one signed-in typed client per role, and the checker every answer goes through. */
export interface ContractContext {
  url: string;
  h: InferenceHarness;
  /** Each role's account and its typed client (answers checked against the document). */
  as: Record<RoleName, SignedIn & { api: ApiClient }>;
  anonymous: ApiClient;
  /** A typed client for a browser of your own (e.g. a second admin), checked like the others. */
  client(browser: SignedIn['browser']): ApiClient;
  /** A developer with credits and an API key (for /v1). */
  apiDeveloper: Developer;
  checker: ContractChecker;
  razorpay: RazorpayStandin;
  coinbase: CoinbaseStandin;
}

/** A named journey that calls some documented operations through the typed clients (or `checker.check` for raw calls). */
export type Scenario = [name: string, run: (c: ContractContext) => Promise<void>];
