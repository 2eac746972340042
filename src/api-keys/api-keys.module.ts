import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ApiKeysService } from './api-keys.service';

@Module({ imports: [AccountsModule], providers: [ApiKeysService], exports: [ApiKeysService] })
export class ApiKeysModule {}
