// Enforce architecture.md's import rules on source files and package.json dependencies:
//   apns, metrics      import no package of ours
//   simulator          may import apns (public entry)
//   queue              may import apns (public entry) and nothing else of ours
//   apps/*             import packages, never each other
//   test               public entries of anything
// and no deep imports: only the subpaths a package's "exports" map declares.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { root } from './bootstrap.mjs';

const allowed = {
  '@pushfleet/apns': [],
  '@pushfleet/metrics': [],
  '@pushfleet/simulator': ['@pushfleet/apns'],
  '@pushfleet/queue': ['@pushfleet/apns'],
  '@pushfleet/worker': ['@pushfleet/apns', '@pushfleet/metrics', '@pushfleet/queue'],
  '@pushfleet/api': ['@pushfleet/queue'],
  '@pushfleet/cli': ['@pushfleet/apns', '@pushfleet/metrics', '@pushfleet/queue', '@pushfleet/simulator'],
  '@pushfleet/test': ['*'],
};

const workspaces = [
  'packages/apns',
  'packages/metrics',
  'packages/queue',
  'packages/simulator',
  'apps/worker',
  'apps/api',
  'apps/cli',
  'test',
];
const pkgs = Object.fromEntries(
  workspaces.map((dir) => {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    return [pkg.name, { dir, pkg }];
  }),
);
const subpaths = (name) =>
  Object.keys(pkgs[name]?.pkg.exports ?? { '.': 1 }).map((k) => (k === '.' ? name : `${name}/${k.slice(2)}`));

function* files(dir) {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (entry === 'node_modules' || entry === 'dist') continue;
    if (statSync(p).isDirectory()) yield* files(p);
    else if (/\.(ts|mts|js|mjs)$/.test(entry)) yield p;
  }
}

const problems = [];
for (const [name, { dir, pkg }] of Object.entries(pkgs)) {
  const ok = allowed[name];
  if (!ok) problems.push(`${dir}: no import rule for ${name}`);
  const permits = (dep) => ok.includes('*') || ok.includes(dep);
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    if (dep.startsWith('@pushfleet/') && !permits(dep))
      problems.push(`${dir}/package.json: ${name} may not depend on ${dep}`);
  }
  for (const file of files(join(root, dir, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](@pushfleet\/[^'"]+)['"]/g)) {
      const spec = m[1];
      const target = spec.split('/').slice(0, 2).join('/');
      const where = relative(root, file);
      if (target === name) problems.push(`${where}: imports its own package by name (${spec})`);
      else if (!permits(target)) problems.push(`${where}: ${name} may not import ${target}`);
      else if (!subpaths(target).includes(spec))
        problems.push(`${where}: deep import ${spec} (allowed: ${subpaths(target).join(', ')})`);
    }
  }
}
if (problems.length > 0) {
  process.stderr.write(`import rules broken:\n  ${problems.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write(`import rules hold across ${workspaces.length} workspaces\n`);
