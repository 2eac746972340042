import type { OpenAPIObject } from '@nestjs/swagger';
import { openApiSchema } from './json-schema';
import { ProblemDetails } from './fields';

type Operation = { responses?: Record<string, { description?: string; content?: Record<string, unknown> }> };

/**
 * What every operation outside /v1 shares, written once: an error (4xx, 5xx) is RFC 9457 problem
 * details, so each documented error answer gets that schema unless it names its own.
 */
export function addProblemDetails(document: OpenAPIObject): OpenAPIObject {
  const components = (document.components ??= {});
  const schemas = (components.schemas ??= {});
  schemas.ProblemDetails = openApiSchema(ProblemDetails, 'output');
  const content = { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } };
  for (const [path, item] of Object.entries(document.paths)) {
    if (path === '/v1' || path.startsWith('/v1/')) continue; // OpenAI's error shape, documented with /v1
    for (const operation of Object.values(item as Record<string, Operation>)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (Number(status) >= 400 && !response.content) response.content = content;
      }
    }
  }
  return document;
}
