import { Body, PipeTransform } from '@nestjs/common';
import { ApiBody, ApiOkResponse } from '@nestjs/swagger';
import { z } from 'zod';
import { invalid } from '../../errors/domain-error';
import { openApiSchema } from './json-schema';

/**
 * One schema per body: `@ValidBody(schema) body: z.infer<typeof schema>` checks the request with
 * it (400 `invalid_body` problem details naming the field) and documents it in the OpenAPI
 * document, so the check and the document cannot drift apart. Use `z.strictObject` so an unknown
 * field (a typo such as "displayname") is refused rather than ignored. Messages name fields and
 * rules, never values: a body may carry a password.
 */
export function ValidBody(schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    Body(new SchemaPipe(schema))(target, key, index);
    if (key !== undefined) {
      const method = Object.getOwnPropertyDescriptor(target, key)!;
      ApiBody({ schema: openApiSchema(schema, 'input') })(target, key, method);
    }
  };
}

/** The 200 answer's schema in the document (tests parse real answers with the same schema). */
export const OkResponse = (schema: z.ZodType, description?: string) => ApiOkResponse({ schema: openApiSchema(schema, 'output'), description });

class SchemaPipe implements PipeTransform {
  constructor(private readonly schema: z.ZodType) {}

  transform(value: unknown): unknown {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    throw invalid('invalid_body', describe(result.error.issues[0]));
  }
}

/** The first problem, in words: where it is and what the rule is. */
function describe(issue: z.core.$ZodIssue): string {
  const where =
    issue.path.length === 0
      ? 'The body'
      : issue.path
          .map((p) => (typeof p === 'number' ? `[${p}]` : safeName(String(p))))
          .join('.')
          .replace(/\.\[/g, '[');
  switch (issue.code) {
    case 'unrecognized_keys':
      return `Unknown field(s)${issue.path.length === 0 ? '' : ` in ${where}`}: ${issue.keys.slice(0, 5).map(safeName).join(', ')}.`;
    case 'invalid_type':
      return issue.path.length === 0 && issue.expected === 'object' ? 'The body must be a JSON object.' : `${where} must be ${article(issue.expected)}.`;
    case 'too_small':
    case 'too_big': {
      const [bound, word] = issue.code === 'too_small' ? [issue.minimum, 'least'] : [issue.maximum, 'most'];
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : '';
      return unit ? `${where} must have at ${word} ${bound}${unit}.` : `${where} must be at ${word} ${bound}.`;
    }
    default:
      // zod's own words (and our refinements') name the rule and the expected type, never the value sent.
      return issue.path.length === 0 ? `${issue.message}.` : `${where}: ${issue.message}.`;
  }
}

const article = (type: string) => (type === 'array' || type === 'object' || type === 'integer' ? `an ${type}` : type === 'boolean' ? 'true or false' : `a ${type}`);

/** Field names come from the client: show them only when they look like names. */
function safeName(name: string): string {
  return /^[A-Za-z0-9_-]{1,40}$/.test(name) ? name : '(unprintable)';
}
