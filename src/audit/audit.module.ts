import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { SessionsModule } from '../auth/sessions.module';
import { AuditLogQueries } from './audit-log.queries';
import { AuditLogController } from './http/audit-log.controller';
import { StaffAuditInterceptor } from './staff-audit.interceptor';

/** The audit log (API processes): the global interceptor that records every staff route, and its read routes. */
@Module({
  imports: [SessionsModule],
  controllers: [AuditLogController],
  providers: [AuditLogQueries, { provide: APP_INTERCEPTOR, useClass: StaffAuditInterceptor }],
})
export class AuditModule {}
