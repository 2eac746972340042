// The dependency rule (issue 21), `npm run lint:deps`. First dependency-cruiser's own rules
// (.dependency-cruiser.cjs: platform imports no capability, deciders and events stay pure, no file
// cycles), then the folder rule: capabilities (src/<name>/) and platform parts (src/platform/<name>/)
// must form layers. Reads dependency-cruiser's JSON from stdin, collapses files to their folder and
// prints every strongly connected group of folders. Groups listed in scripts/dependency-rings.known.json
// (the rings that existed when the rule arrived) may only shrink; anything else fails.
// Usage: depcruise src migrations --config .dependency-cruiser.cjs --output-type json | node scripts/check-dependencies.mjs [--write-known]
import fs from 'node:fs';

const KNOWN = new URL('./dependency-rings.known.json', import.meta.url);
const folderOf = (file) => {
  const m = /^src\/platform\/([^/]+)\//.exec(file) ?? /^src\/([^/]+)\//.exec(file) ?? /^(migrations)\//.exec(file);
  return m ? (file.startsWith('src/platform/') ? `platform/${m[1]}` : m[1]) : null;
};

const cruise = JSON.parse(fs.readFileSync(0, 'utf8'));
const violations = cruise.summary.violations.filter((v) => v.rule.severity === 'error');
for (const v of violations) console.error(`${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name ?? c).join(' → ')})` : ''}`);
const edges = new Map();
for (const mod of cruise.modules) {
  const from = folderOf(mod.source);
  if (!from) continue;
  for (const dep of mod.dependencies) {
    const to = folderOf(dep.resolved);
    if (!to || to === from || dep.dependencyTypes.includes('type-only')) continue;
    if (!edges.has(from)) edges.set(from, new Set());
    edges.get(from).add(to);
  }
}

// Tarjan's strongly connected components.
let index = 0;
const idx = new Map(),
  low = new Map(),
  stack = [],
  on = new Set(),
  groups = [];
function visit(v) {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  on.add(v);
  for (const w of edges.get(v) ?? []) {
    if (!idx.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const group = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1) groups.push(group.sort());
  }
}
for (const v of edges.keys()) if (!idx.has(v)) visit(v);

if (process.argv.includes('--write-known')) {
  fs.writeFileSync(KNOWN, JSON.stringify({ note: 'Folder rings that existed when the rule arrived: break them, never add to them.', groups }, null, 1) + '\n');
  console.log(`wrote ${groups.length} known group(s)`);
  process.exit(0);
}
const known = fs.existsSync(KNOWN) ? JSON.parse(fs.readFileSync(KNOWN, 'utf8')).groups : [];
// A group is allowed when every folder in it was already in one known ring.
const bad = groups.filter((g) => !known.some((k) => g.every((f) => k.includes(f))));
const inRings = groups.reduce((n, g) => n + g.length, 0);
console.log(
  `${cruise.summary.totalCruised} modules, ${violations.length} rule violation(s); ${edges.size} folders, ${inRings} in rings (the known rings hold ${known.reduce((n, g) => n + g.length, 0)})`,
);
for (const g of bad) console.error(`new ring of folders: ${g.join(' ↔ ')}`);
process.exit(violations.length || bad.length ? 1 : 0);
