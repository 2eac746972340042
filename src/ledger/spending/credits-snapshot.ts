import { sql, Kysely } from 'kysely';
import { Database } from '../../platform/database/schema';
import { Position } from '../../platform/event-store/event-store.port';
import { READ_MODELS_CHECKPOINT } from '../../platform/projection-runtime/checkpoint';
import { developerAccount } from '../ledger-accounts';

/**
 * A developer's credits per the ledger read model and the read models' checkpoint, from one
 * statement (one snapshot): the balance includes exactly the events up to `position`.
 */
export async function creditsSnapshot(db: Kysely<Database>, accountId: string): Promise<{ creditsMicroUsd: bigint; position: Position | null }> {
  const { rows } = await sql<{ balance: string | null; commit_position: string | null; prepare_position: string | null }>`
    SELECT (SELECT balance_micro_usd FROM ledger_balances WHERE ledger_account = ${developerAccount(accountId)}) AS balance,
           c.commit_position, c.prepare_position
      FROM (SELECT 1) AS one
      LEFT JOIN projection_checkpoints c ON c.name = ${READ_MODELS_CHECKPOINT}`.execute(db);
  const row = rows[0];
  const position = row.commit_position === null || row.prepare_position === null ? null : { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) };
  // The ledger row is debit-positive; a developer's credits are its credit balance.
  return { creditsMicroUsd: row.balance === null ? 0n : -BigInt(row.balance), position };
}
