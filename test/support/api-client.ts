import createClient, { Client, Middleware } from 'openapi-fetch';
import type { paths } from '../../web/src/api/openapi';
import { Browser } from './browser';

export type ApiClient = Client<paths>;

/**
 * The console's typed client (generated from the OpenAPI document by `npm run openapi`) for
 * end-to-end tests, acting as `browser` (its session cookies). A route whose path, parameters or
 * body no longer match the document fails the type check of the test that calls it.
 */
export function apiClient(url: string, browser: Browser, ...middleware: Middleware[]): ApiClient {
  const client = createClient<paths>({ baseUrl: url, fetch: (request) => browser.fetch(request) });
  for (const m of middleware) client.use(m);
  return client;
}
