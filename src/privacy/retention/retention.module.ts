import { Module } from '@nestjs/common';
import { RetentionSweep } from './retention-sweep';

/** The sweep as a service: every process may run one (the CLI's `retention:run`, tests). */
@Module({ providers: [RetentionSweep], exports: [RetentionSweep] })
export class RetentionModule {}
