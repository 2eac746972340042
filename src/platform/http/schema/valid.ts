import { Body, PipeTransform, Query } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { invalid } from '../../errors/domain-error';
import { openApiSchema } from './json-schema';

/**
 * One schema per input: `@ValidBody(schema) body: z.infer<typeof schema>` (and `@ValidQuery`
 * alike) checks the request with it and documents it in the OpenAPI document, so
 * the check and the document cannot drift apart. Use `z.strictObject` so an unknown field (a typo
 * such as "displayname") is refused rather than ignored. Messages name fields and rules, never
 * values: a body may carry a password.
 *
 * A refusal is 400 problem details with the code `invalid_body` / `invalid_query`, or the code a
 * field's own rule names (`fields.ts`: `coded`), so a route keeps the codes clients know.
 */
export function ValidBody(schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    Body(new SchemaPipe(schema, 'body'))(target, key, index);
    // A schema that accepts no body at all (`.optional()`) documents the body as optional.
    const required = !schema.safeParse(undefined).success;
    if (key === undefined) return;
    ApiBody({ schema: openApiSchema(schema, 'input'), required })(target, key, descriptor(target, key));
    refusal('invalid_body: the body breaks its schema; the detail names the field and the rule.')(target, key, descriptor(target, key));
  };
}

/** The whole query string as one object schema; each property is documented as a query parameter. */
export function ValidQuery(schema: z.ZodObject): ParameterDecorator {
  return (target, key, index) => {
    Query(new SchemaPipe(schema, 'query'))(target, key, index);
    if (key === undefined) return;
    for (const p of properties(schema)) ApiQuery({ name: p.name, required: p.required, schema: p.schema })(target, key, descriptor(target, key));
    refusal('invalid_query: a parameter breaks its rule; the detail names it.')(target, key, descriptor(target, key));
  };
}

/** Every checked input can be refused: its 400 is documented here once (a route's own @ApiResponse(400) says more, and wins). */
const refusal = (description: string) => ApiResponse({ status: 400, description });

const descriptor = (target: object, key: string | symbol) => Object.getOwnPropertyDescriptor(target, key)!;

function properties(schema: z.ZodObject): { name: string; required: boolean; schema: Record<string, unknown> }[] {
  const json = openApiSchema(schema, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({ name, required: json.required?.includes(name) ?? false, schema: s }));
}

type Where = 'body' | 'query';

/** Exported for a check that runs before pipes (a passport strategy reads the body in a guard). */
export class SchemaPipe implements PipeTransform {
  constructor(
    private readonly schema: z.ZodType,
    private readonly where: Where,
  ) {}

  transform(value: unknown): unknown {
    const result = this.schema.safeParse(this.where === 'query' ? queryValues(value) : value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    // A rule with its own code (fields.ts) wrote the whole sentence; {field} is where its name goes.
    if (issue.code === 'custom' && typeof issue.params?.code === 'string') throw invalid(issue.params.code, issue.message.replace('{field}', pathOf(issue, this.where)));
    throw invalid(`invalid_${this.where}`, describe(issue, this.where));
  }
}

/** A plain object (Express's query object has no prototype) without empty values: `?from=` is no `from`, as before schemas. */
function queryValues(value: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries((value ?? {}) as Record<string, unknown>).filter(([, v]) => v !== ''));
}

const wholeOf = (where: Where) => (where === 'body' ? 'The body' : 'The query string');

function pathOf(issue: z.core.$ZodIssue, where: Where): string {
  if (issue.path.length === 0) return wholeOf(where);
  return issue.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : safeName(String(p))))
    .join('.')
    .replace(/\.\[/g, '[');
}

/** The first problem, in words: where it is and what the rule is. */
function describe(issue: z.core.$ZodIssue, where: Where): string {
  const whole = wholeOf(where);
  const at = pathOf(issue, where);
  switch (issue.code) {
    case 'unrecognized_keys':
      return `Unknown ${where === 'body' ? 'field' : 'parameter'}(s)${issue.path.length === 0 ? '' : ` in ${at}`}: ${issue.keys.slice(0, 5).map(safeName).join(', ')}.`;
    case 'invalid_type':
      if (issue.path.length === 0 && issue.expected === 'object') return `${whole} must be a JSON object.`;
      // A query value repeated (?limit=1&limit=2) arrives as an array.
      if (where === 'query' && issue.expected === 'string') return `${at} must be a single value.`;
      return `${at} must be ${article(issue.expected)}.`;
    case 'too_small':
    case 'too_big': {
      const [bound, word] = issue.code === 'too_small' ? [issue.minimum, 'least'] : [issue.maximum, 'most'];
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : '';
      return unit ? `${at} must have at ${word} ${bound}${unit}.` : `${at} must be at ${word} ${bound}.`;
    }
    default:
      // zod's own words (and our refinements') name the rule and the expected type, never the value sent.
      return issue.path.length === 0 ? `${issue.message}.` : `${at}: ${issue.message}.`;
  }
}

const article = (type: string) => (type === 'array' || type === 'object' || type === 'integer' ? `an ${type}` : type === 'boolean' ? 'true or false' : `a ${type}`);

/** Field names come from the client: show them only when they look like names. */
function safeName(name: string): string {
  return /^[A-Za-z0-9_-]{1,40}$/.test(name) ? name : '(unprintable)';
}
