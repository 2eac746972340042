import { Global, Module } from '@nestjs/common';
import { Kysely } from 'kysely';
import { APP_CONFIG, AppConfig } from '../config/config';
import { KYSELY } from '../database/database.module';
import { Database } from '../database/schema';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '../personal-data/personal-data.vault';
import { SECRETS, Secrets } from './secrets';

@Global()
@Module({
  providers: [
    { provide: SECRETS, inject: [APP_CONFIG], useFactory: (c: AppConfig) => new Secrets(c.appSecret) },
    { provide: PERSONAL_DATA_VAULT, inject: [KYSELY], useFactory: (db: Kysely<Database>) => new PersonalDataVault(db) },
  ],
  exports: [SECRETS, PERSONAL_DATA_VAULT],
})
export class SecurityModule {}
