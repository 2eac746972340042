import { ApiProperty } from '@nestjs/swagger';
import { ROLES } from '../accounts/account.events';

/** OpenAPI shapes only: bodies are read and checked by src/platform/http/request-body.ts. */
export class GrantRoleBody {
  @ApiProperty({ enum: ROLES.filter((r) => r !== 'provider'), description: 'provider is granted only through an invite' })
  role!: string;
}

export class SuspendBody {
  @ApiProperty({ minLength: 1, maxLength: 500, description: 'Recorded in the audit trail.' })
  reason!: string;
}
