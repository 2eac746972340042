import { Module } from '@nestjs/common';
import { ApiKeyAuthModule } from '../api-keys/api-key-auth.module';
import { V1MeController } from './v1-me.controller';

/** The OpenAI-compatible /v1 API (API processes only). For now: the key check and GET /v1/me. */
@Module({ imports: [ApiKeyAuthModule], controllers: [V1MeController] })
export class InferenceModule {}
