import { Module } from '@nestjs/common';
import { PolicyVersionsService } from './policy-versions.service';

/** Policy versions, everywhere (sign-up and sign-in read the versions in force). */
@Module({ providers: [PolicyVersionsService], exports: [PolicyVersionsService] })
export class PolicyVersionsModule {}
