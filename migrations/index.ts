import { Migration } from 'kysely';
import * as m0001 from './0001_event_store';
import * as m0002 from './0002_projections';

/** Listed statically (not read from the folder) so compiled and ts-node runs see the same set. */
export const migrations: Record<string, Migration> = {
  '0001_event_store': m0001,
  '0002_projections': m0002,
};
