/**
 * The dependency rule (issue 21), checked by `npm run lint:deps` (part of `npm run lint`, which CI runs):
 * - platform/ is the floor: it never imports a capability (only other platform parts and migrations).
 * - Deciders and events are domain code: they import other domain code, the decider types, errors,
 *   money, the clock and the roles (platform/access/roles.ts, pure constants); never a package, a service, a controller, a module or a queries file.
 * - No file cycles. Rings between folders are checked by scripts/check-dependencies.mjs, which reads
 *   this cruise's JSON (the rings recorded in scripts/dependency-rings.known.json may only shrink).
 */
module.exports = {
  forbidden: [
    {
      name: 'platform-imports-no-capability',
      comment: 'src/platform is used by every capability and must not depend on one.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/', pathNot: '^src/platform/' },
    },
    {
      name: 'domain-is-pure',
      comment: 'A decider or an events file is plain domain code: no framework, storage or service.',
      severity: 'error',
      from: { path: '\\.(decide|events)\\.ts$' },
      to: {
        dependencyTypesNot: ['core', 'type-only'],
        pathNot: [
          '^src/platform/(event-sourcing/|errors/|money\\.ts$|clock\\.ts$|access/roles\\.ts$)',
          '^src/(?!platform/)[^/]+/.*(?<!\\.(service|controller|module|queries|guard|processor))\\.ts$',
        ],
      },
    },
    {
      name: 'domain-imports-no-package',
      comment: 'Deciders and events import no npm package (node: built-ins are fine).',
      severity: 'error',
      from: { path: '\\.(decide|events)\\.ts$' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-circular',
      comment: 'Folders must form layers, not rings.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|web|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
  },
};
