import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { API_KEY_NAME_MAX, LIMIT_MAX } from '../api-keys/api-key.decide';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../accounts/password';
import { ROLES } from '../accounts/account.events';

/** OpenAPI shapes only: bodies are read and checked by src/platform/http/request-body.ts. */
export class AccountViewDto {
  @ApiProperty() accountId!: string;
  @ApiProperty({ nullable: true, type: String }) email!: string | null;
  @ApiProperty({ nullable: true, type: String }) displayName!: string | null;
  @ApiProperty({ nullable: true, type: String }) picture!: string | null;
  @ApiProperty({ enum: ROLES, isArray: true }) roles!: string[];
  @ApiProperty({ enum: ['active', 'suspended'] }) status!: string;
  @ApiProperty() registeredVia!: string;
  @ApiProperty({ format: 'date-time' }) registeredAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) deletionRequestedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'When the requested deletion completes.' }) deletionDueAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'Set while processing is restricted (P10).' }) restrictedAt!: string | null;
}

export class UpdateProfileBody {
  @ApiPropertyOptional({ nullable: true, maxLength: 100 }) displayName?: string | null;
  @ApiPropertyOptional({ nullable: true, maxLength: 2000, description: 'an https:// URL' }) picture?: string | null;
}

export class ChangePasswordBody {
  @ApiPropertyOptional({ description: 'Required when the account already has a password.', maxLength: PASSWORD_MAX_LENGTH })
  currentPassword?: string;
  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH }) newPassword!: string;
}

export class ChangeEmailBody {
  @ApiProperty({ example: 'ada@example.org', maxLength: 320, description: 'The new address: a link to confirm it is mailed there.' })
  email!: string;
  @ApiPropertyOptional({
    description: 'Required when the account has a password; otherwise the session must have signed in within RECENT_SIGN_IN_SECONDS.',
    maxLength: PASSWORD_MAX_LENGTH,
  })
  currentPassword?: string;
}

export class KeyLimitsDto {
  @ApiPropertyOptional({ nullable: true, minimum: 1, maximum: LIMIT_MAX }) requestsPerMinute?: number | null;
  @ApiPropertyOptional({ nullable: true, minimum: 1, maximum: LIMIT_MAX }) tokensPerMinute?: number | null;
}

export class IssueKeyBody {
  @ApiProperty({ minLength: 1, maxLength: API_KEY_NAME_MAX, example: 'ci' }) name!: string;
  @ApiPropertyOptional({ nullable: true, format: 'date-time' }) expiresAt?: string | null;
  @ApiPropertyOptional({ type: KeyLimitsDto }) limits?: KeyLimitsDto;
}

export class ApiKeyViewDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'tg_live_AbCdEf123456' }) prefix!: string;
  @ApiProperty({ enum: ['active', 'revoked', 'expired'] }) status!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastUsedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) expiresAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) revokedAt!: string | null;
  @ApiProperty({ type: KeyLimitsDto }) limits!: KeyLimitsDto;
  @ApiProperty({ nullable: true, type: String }) rotatedFrom!: string | null;
  @ApiProperty({ nullable: true, type: String }) replacedBy!: string | null;
}

export class IssuedKeyDto {
  @ApiProperty({ description: 'The full key. Shown this once: only its hash is stored.', example: 'tg_live_AbCdEf123456_…' }) key!: string;
  @ApiProperty({ type: ApiKeyViewDto }) apiKey!: ApiKeyViewDto;
}
