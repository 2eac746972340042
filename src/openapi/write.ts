import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppModule } from '../app.module';
import { loadConfig } from '../platform/config/config';
import { openApiDocument } from './document';

/**
 * Writes the OpenAPI document to a file without starting anything: Nest's preview mode reads the
 * modules' decorators but instantiates no provider (no database, Redis or queue connection).
 */
async function main(out: string): Promise<void> {
  // Every optional sign-in method on, so the document (and the typed client) has all routes a deployment may serve.
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'development',
    APP_SECRET: process.env.APP_SECRET ?? 'openapi-document-only-not-a-secret-0123456789',
    GOOGLE_CLIENT_ID: 'document-only',
    GOOGLE_CLIENT_SECRET: 'document-only',
    GOOGLE_CALLBACK_URL: 'http://localhost:3000/auth/google/callback',
    TELEGRAM_BOT_TOKEN: `123456:${'A'.repeat(35)}`,
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, 'api'), { preview: true, logger: false, abortOnError: false });
  const document = openApiDocument(app, config);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`${out}: ${Object.values(document.paths).reduce((n, item) => n + Object.keys(item).length, 0)} operations`);
}

void main(process.argv[2] ?? 'openapi.json');
