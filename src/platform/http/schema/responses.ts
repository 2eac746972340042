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

/** A CSV download (`Content-Disposition: attachment`), streamed: its columns, in order. */
export const CsvResponse = (columns: readonly string[]) =>
  applyDecorators(
    ApiProduces('text/csv'),
    ApiOkResponse({ description: `CSV with a header row: ${columns.join(', ')}.`, content: { 'text/csv': { schema: { type: 'string' } } } }),
  );

/** A page for people (a mailed link's landing page): HTML, no script. */
export const HtmlResponse = (description: string) =>
  applyDecorators(ApiProduces('text/html'), ApiOkResponse({ description, content: { 'text/html': { schema: { type: 'string' } } } }));
