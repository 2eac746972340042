import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Middleware } from 'openapi-fetch';

type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Json }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: Json;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Holds real answers to the OpenAPI document: each answer's status must be documented for its
 * operation, its content type too, and a JSON body must validate against the documented schema
 * (JSON Schema 2020-12, formats checked). Records which operations were called, so the spec can
 * show that every documented operation was.
 */
export class ContractChecker {
  readonly covered = new Map<string, Set<number>>();
  readonly failures: string[] = [];
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocument) {
    addFormats(this.ajv);
    this.ajv.addSchema(document as object, 'doc');
  }

  operations(): string[] {
    return Object.entries(this.document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
  }

  /** Checks every answer of a typed client (openapi-fetch tells the operation's path template). */
  middleware(): Middleware {
    return {
      onResponse: async ({ request, response, schemaPath }) => {
        await this.check(request.method, schemaPath, response.clone());
        return response;
      },
    };
  }

  /** Checks one answer to `METHOD template` (e.g. `POST /webhooks/razorpay`, `GET /admin/accounts/{id}`). */
  async check(method: string, template: string, response: Response): Promise<void> {
    const key = `${method.toUpperCase()} ${template}`;
    const statuses = this.covered.get(key) ?? new Set<number>();
    this.covered.set(key, statuses.add(response.status));
    const operation = this.document.paths[template]?.[method.toLowerCase()];
    if (!operation) return this.fail(`${key}: not in the document`);
    const documented = operation.responses[String(response.status)] ?? operation.responses.default;
    if (!documented) return this.fail(`${key} answered ${response.status}, which the document does not list (${Object.keys(operation.responses).join(', ')})`);
    const type = (response.headers.get('content-type') ?? '').split(';')[0].trim();
    const text = await response.text();
    if (!documented.content) {
      if (text.length > 0 && response.status !== 302) this.fail(`${key} ${response.status}: a ${type} body the document does not describe`);
      return;
    }
    if (!documented.content[type]) return this.fail(`${key} ${response.status}: content type "${type}", documented ${Object.keys(documented.content).join(', ')}`);
    if (type === 'text/event-stream') return this.checkEvents(key, template, method, response.status, text);
    if (!type.endsWith('json')) return;
    const validate = this.validator(`doc#/paths/${pointer(template)}/${method.toLowerCase()}/responses/${response.status}/content/${pointer(type)}/schema`, documented);
    if (!validate) return;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return this.fail(`${key} ${response.status}: not JSON`);
    }
    if (!validate(body)) {
      const errors = (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
      this.fail(`${key} ${response.status}: ${errors.join('; ')}`);
    }
  }

  /** A stream's `data:` events, each against the media type's `x-event-schema`, ending with `[DONE]` or an error event. */
  private checkEvents(key: string, template: string, method: string, status: number, text: string): void {
    const base = `doc#/paths/${pointer(template)}/${method.toLowerCase()}/responses/${status}/content/text~1event-stream/x-event-schema`;
    const validate = this.ajv.getSchema(base);
    if (!validate) return this.fail(`${key}: no x-event-schema for its stream`);
    const events = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => e.slice(6));
    if (events.length === 0) return this.fail(`${key}: an empty stream`);
    for (const data of events) {
      if (data === '[DONE]') continue;
      const event = JSON.parse(data) as { error?: unknown };
      if (event.error) continue; // an error event mid-stream: OpenAI's error shape
      if (!validate(event)) return this.fail(`${key} event: ${(validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`).join('; ')}`);
    }
    this.streamedEvents += events.length;
  }

  streamedEvents = 0;

  private validator(ref: string, documented: { content?: Record<string, { schema?: Json }> }): ValidateFunction | null {
    if (!Object.values(documented.content ?? {}).some((c) => c.schema)) return null;
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.getSchema(ref);
      if (!validate) throw new Error(`no schema at ${ref}`);
      this.validators.set(ref, validate);
    }
    return validate;
  }

  private fail(message: string): void {
    this.failures.push(message);
  }
}
