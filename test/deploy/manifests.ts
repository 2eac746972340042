import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CORE_SCHEMA, loadAll, mergeTag } from 'js-yaml';

/** What the deployment files say, read the way Docker Compose and kubectl read them (merge keys included). */
export const ROOT = join(__dirname, '..', '..');
const YAML_SCHEMA = CORE_SCHEMA.withTags(mergeTag);

export type Doc = Record<string, unknown>;
export interface YamlFile {
  path: string;
  docs: Doc[];
}

export function yamlFiles(): YamlFile[] {
  const paths = ['docker-compose.yml', ...walk(join(ROOT, 'deploy')).filter((p) => /\.ya?ml$/.test(p))];
  return paths.map((path) => ({ path, docs: loadAll(readFileSync(join(ROOT, path), 'utf8'), { schema: YAML_SCHEMA }).filter(Boolean) as Doc[] }));
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [relative(ROOT, join(dir, e.name))]));
}

/**
 * Every environment variable config.ts reads: the quoted upper-case name that is the first argument of a
 * reader call (`r.int('PORT', …)`, `readCidrs(r, 'NODE_ALLOWED_CIDRS')`, `usd('TOPUP_MIN_USD', …)`).
 */
export function configVariables(): Set<string> {
  const source = readFileSync(join(ROOT, 'src/platform/config/config.ts'), 'utf8');
  return new Set([...source.matchAll(/\(\s*(?:r,\s*)?'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]));
}

/** Compose's interpolation: `${X:-default}` → default, `${X:?message}` → the value a person must supply, `${X}` → empty. */
export function interpolate(value: string, supplied: Record<string, string>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}/g, (_, name: string, op: string | undefined, rest: string | undefined) => {
    if (op === ':-') return rest ?? '';
    if (op === ':?') {
      if (!(name in supplied)) throw new Error(`the test supplies no value for required ${name}`);
      return supplied[name];
    }
    return '';
  });
}

export function composeServices(file: YamlFile): Record<string, Doc> {
  return (file.docs[0].services ?? {}) as Record<string, Doc>;
}

/** The Tollgate services of a compose file: those that run the image's entry point with a role. */
export function tollgateServices(file: YamlFile): [string, Doc][] {
  return Object.entries(composeServices(file)).filter(([, s]) => Array.isArray(s.command) && ['all', 'api', 'worker'].includes(String(s.command[0])));
}

export function k8sDocs(): Doc[] {
  return yamlFiles()
    .filter((f) => f.path.startsWith('deploy/k8s/') && !f.path.endsWith('kustomization.yaml'))
    .flatMap((f) => f.docs);
}

export function byKind(docs: Doc[], kind: string): Doc[] {
  return docs.filter((d) => d.kind === kind);
}

/** A loose walk into parsed YAML, for assertions (a missing step yields undefined, and the assertion says so). */
export function at(doc: unknown, ...path: (string | number)[]): unknown {
  return path.reduce<unknown>((node, key) => (node == null ? undefined : (node as Record<string | number, unknown>)[key]), doc);
}
