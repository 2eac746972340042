import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { requestLimits } from '../inference/inference.module';
import { addV1 } from '../inference/v1-openapi';
import { AppConfig } from '../platform/config/config';
import { addProblemDetails } from '../platform/http/schema/document';
import { CAPABILITY_TAGS } from './tags';

/**
 * The OpenAPI 3.1 document: Nest's routes from their decorators and zod schemas, problem details
 * on every error, and /v1 (served ahead of Nest) from the gateway's schemas. The app serves it at
 * /docs/openapi.json; `npm run openapi` writes it (and the typed client's types) without a database.
 */
export function openApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Tollgate')
    .setDescription('Prepaid credits, OpenAI-compatible inference and the credit ledger.')
    .setVersion('0.1.0')
    .addCookieAuth('tg_session', { type: 'apiKey', in: 'cookie', name: 'tg_session' }, 'tg_session')
    .addCookieAuth('tg_refresh', { type: 'apiKey', in: 'cookie', name: 'tg_refresh' }, 'tg_refresh')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  for (const tag of CAPABILITY_TAGS) builder.addTag(tag.name, tag.description);
  const document = SwaggerModule.createDocument(app, builder.build());
  addProblemDetails(document);
  addV1(document, requestLimits(config));
  return document;
}
