import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { invalid } from '../errors/domain-error';

/**
 * The one check every JSON body and query string outside /v1 passes before any handler reads it.
 *
 * Text reaches events (jsonb) and SQL parameters (text). PostgreSQL refuses NUL in both, and
 * jsonb refuses a UTF-16 surrogate without its pair ("\ud800"): such text would fail deep in a
 * handler, after some of its effects, with a 500. It is refused here instead, for every field
 * and key at once, with a 400 naming the field. Depth is bounded here too: a deeply nested body
 * would make any recursive reader (JSON.stringify, a logger) run out of stack.
 */
export type TextProblem = { kind: 'unsafe_text'; field: string } | { kind: 'too_deep'; maxDepth: number };

interface Frame {
  value: unknown;
  key: string | number | null;
  parent: Frame | null;
  depth: number;
}

/** NUL, or a lone surrogate: with the u flag a paired surrogate is one code point, an unpaired one is category Cs. */
const UNSAFE_TEXT = /[\0\p{Cs}]/u;

export function isUnsafeText(s: string): boolean {
  return UNSAFE_TEXT.test(s);
}

/** The first NUL / lone surrogate in a parsed JSON value (keys included), or nesting past maxDepth. Iterative: no recursion on client data. */
export function findTextProblem(root: unknown, rootName: string, maxDepth: number): TextProblem | null {
  const stack: Frame[] = [{ value: root, key: null, parent: null, depth: 0 }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const { value } = frame;
    if (typeof value === 'string') {
      if (isUnsafeText(value)) return { kind: 'unsafe_text', field: fieldName(frame, rootName) };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (frame.depth >= maxDepth) return { kind: 'too_deep', maxDepth };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: i, parent: frame, depth: frame.depth + 1 });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (isUnsafeText(key)) return { kind: 'unsafe_text', field: `a field name in ${fieldName(frame, rootName)}` };
      stack.push({ value: (value as Record<string, unknown>)[key], key, parent: frame, depth: frame.depth + 1 });
    }
  }
  return null;
}

/** `limits.requestsPerMinute`, `models[2].id`; the root alone is `rootName`. Keys that do not look like names are not echoed. */
function fieldName(frame: Frame, rootName: string): string {
  const keys: (string | number)[] = [];
  for (let f: Frame | null = frame; f && f.key !== null; f = f.parent) keys.unshift(f.key);
  if (keys.length === 0) return rootName;
  return keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${/^[A-Za-z0-9_-]{1,64}$/.test(k) ? k : '(unprintable)'}`)).join('');
}

export function textProblemError(problem: TextProblem, where: 'body' | 'query') {
  if (problem.kind === 'too_deep') return invalid('too_deep', `The JSON ${where} is nested deeper than ${problem.maxDepth} levels.`);
  const field = where === 'query' ? `${problem.field} (query)` : problem.field;
  return invalid('invalid_text', `${field} must be text without NUL characters or unpaired UTF-16 surrogates.`);
}

/** Express middleware, right after the JSON body parser: checks the parsed body and the query string. */
export function requestTextGuard(maxDepth: number): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    // Raw bodies (the webhook's Buffer) are checked by their own route, against a signature.
    const body = Buffer.isBuffer(req.body) ? null : findTextProblem(req.body, 'body', maxDepth);
    if (body) return next(textProblemError(body, 'body'));
    const query = findTextProblem(req.query, 'query', maxDepth);
    next(query ? textProblemError(query, 'query') : undefined);
  };
}
