import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../accounts/password';

/** OpenAPI shapes only: bodies are read and checked by src/platform/http/request-body.ts. */
export class RegisterBody {
  @ApiProperty({ example: 'ada@example.com', maxLength: 320 })
  email!: string;
  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  password!: string;
  @ApiPropertyOptional({ maxLength: 100 })
  displayName?: string;
  @ApiProperty({ enum: [true], description: 'The person confirms being 18 or older (an attestation; no birth date is kept)' })
  over18!: boolean;
  @ApiProperty({ example: '1', description: 'The version of the terms accepted: the one in force (GET /legal/terms)' })
  termsVersion!: string;
  @ApiProperty({ example: '1', description: 'The version of the privacy policy accepted: the one in force (GET /legal/privacy)' })
  privacyVersion!: string;
}

export class EligibilityBody {
  @ApiProperty({ enum: [true], description: 'The person confirms being 18 or older' })
  over18!: boolean;
  @ApiProperty({ example: '1' })
  termsVersion!: string;
  @ApiProperty({ example: '1' })
  privacyVersion!: string;
}

export class ConfirmSignUpBody {
  @ApiProperty({ description: 'The token of the link mailed at sign-up' })
  token!: string;
}

export class SignUpStartedResponse {
  @ApiProperty({ example: 'check_your_email' })
  status!: string;
  @ApiProperty()
  message!: string;
}

export class LoginBody {
  @ApiProperty({ example: 'ada@example.com', maxLength: 320 })
  email!: string;
  @ApiProperty({ maxLength: PASSWORD_MAX_LENGTH })
  password!: string;
}

/** The fields the Telegram login widget hands to its callback, unchanged. */
export class TelegramLoginBody {
  @ApiProperty({ example: 123456789 })
  id!: number;
  @ApiPropertyOptional()
  first_name?: string;
  @ApiPropertyOptional()
  last_name?: string;
  @ApiPropertyOptional()
  username?: string;
  @ApiPropertyOptional()
  photo_url?: string;
  @ApiProperty({ description: 'Unix time (seconds) of the authorisation' })
  auth_date!: number;
  @ApiProperty({ description: 'hex HMAC-SHA-256 of the data-check-string, keyed with SHA-256(bot token)' })
  hash!: string;
}

export class SessionResponse {
  @ApiProperty()
  accountId!: string;
  @ApiProperty({ description: 'The access JWT, also set as the tg_session cookie; send it as `Authorization: Bearer` if not using cookies' })
  accessToken!: string;
  @ApiProperty({ format: 'date-time' })
  accessTokenExpiresAt!: string;
  @ApiPropertyOptional({ description: 'true when this sign-in created the account' })
  created?: boolean;
  @ApiPropertyOptional({ description: 'true: a first Google/Telegram sign-in must confirm age and terms (POST /me/eligibility) before any other route' })
  eligibilityPending?: boolean;
}
