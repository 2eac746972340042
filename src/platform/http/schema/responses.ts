import { applyDecorators } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiProduces } from '@nestjs/swagger';
import { z } from 'zod';
import { openApiSchema } from './json-schema';

/**
 * Each answer's schema in the document. The contract test (test/contract/) calls every route and
 * checks the real answer against what is written here, so a route cannot answer a shape it does
 * not document.
 */
const output = (schema: z.ZodType) => openApiSchema(schema, 'output');

export const OkResponse = (schema: z.ZodType, description?: string) => ApiOkResponse({ schema: output(schema), description });
export const CreatedResponse = (schema: z.ZodType, description?: string) => ApiCreatedResponse({ schema: output(schema), description });
export const AcceptedResponse = (schema: z.ZodType, description?: string) => ApiAcceptedResponse({ schema: output(schema), description });
export const NoContentResponse = (description = 'Done; no body.') => ApiNoContentResponse({ description });

/** A page for people (a mailed link's landing page): HTML, no script. */
export const HtmlResponse = (description: string) =>
  applyDecorators(ApiProduces('text/html'), ApiOkResponse({ description, content: { 'text/html': { schema: { type: 'string' } } } }));
