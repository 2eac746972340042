import { Module } from '@nestjs/common';
import { PolicyVersionsModule } from '../legal/legal.module';
import { AccountsService } from './accounts.service';

@Module({ imports: [PolicyVersionsModule], providers: [AccountsService], exports: [AccountsService, PolicyVersionsModule] })
export class AccountsModule {}
