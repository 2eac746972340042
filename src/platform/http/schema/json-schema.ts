import { z } from 'zod';

/**
 * A zod schema as the OpenAPI 3.1 document wants it: JSON Schema 2020-12 is 3.1's own dialect, so
 * only the `$schema` marker is dropped. `input` describes what a client may send, `output` what a
 * route answers (they differ where a schema has defaults or transforms).
 */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}
