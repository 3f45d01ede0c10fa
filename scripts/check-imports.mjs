// Enforce the import rules between our packages on source files and package.json dependencies:
//   h2, credentials, metrics, log  import no package of ours
//   apns                       h2 and credentials
//   apns-legacy                apns (its request, verdict and TLS option checks) and credentials
//   simulator                  apns, apns-legacy, credentials (public entries; its tests also check fixed bytes)
//   queue                      apns and credentials, nothing else of ours
//   config                     apns, credentials and queue; no package imports config (apps do)
//   apps/*                     packages (log included), never each other
//   deploy                     metrics (the dashboard generator reads the catalogue's names)
//   test                       public entries of anything
// plus: the allowed graph has no cycle; no deep imports (only the subpaths a package's "exports" map
// declares); only queue builds Redis key names (no `{pushfleet:` literal or `queueKeys` elsewhere); and
// packages take plain options: no package reads `process.env` (apps pass the environment to config).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { root } from './bootstrap.mjs';

const allowed = {
  '@pushfleet/h2': [],
  '@pushfleet/credentials': [],
  '@pushfleet/metrics': [],
  '@pushfleet/log': [],
  '@pushfleet/apns': ['@pushfleet/h2', '@pushfleet/credentials'],
  '@pushfleet/apns-legacy': ['@pushfleet/apns', '@pushfleet/credentials'],
  '@pushfleet/simulator': ['@pushfleet/apns', '@pushfleet/apns-legacy', '@pushfleet/credentials'],
  '@pushfleet/queue': ['@pushfleet/apns', '@pushfleet/credentials'],
  '@pushfleet/config': ['@pushfleet/apns', '@pushfleet/credentials', '@pushfleet/queue'],
  '@pushfleet/worker': [
    '@pushfleet/apns',
    '@pushfleet/apns-legacy',
    '@pushfleet/config',
    '@pushfleet/credentials',
    '@pushfleet/log',
    '@pushfleet/metrics',
    '@pushfleet/queue',
  ],
  '@pushfleet/api': ['@pushfleet/config', '@pushfleet/log', '@pushfleet/metrics', '@pushfleet/queue'],
  '@pushfleet/cli': [
    '@pushfleet/apns',
    '@pushfleet/apns-legacy',
    '@pushfleet/config',
    '@pushfleet/credentials',
    '@pushfleet/log',
    '@pushfleet/metrics',
    '@pushfleet/queue',
    '@pushfleet/simulator',
  ],
  '@pushfleet/deploy': ['@pushfleet/metrics'],
  '@pushfleet/test': ['*'],
};

const workspaces = [
  'packages/h2',
  'packages/credentials',
  'packages/apns',
  'packages/apns-legacy',
  'packages/metrics',
  'packages/log',
  'packages/queue',
  'packages/config',
  'packages/simulator',
  'apps/worker',
  'apps/api',
  'apps/cli',
  'deploy',
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
// No cycles in the allowed graph (a rule edited into a loop would let two packages import each other).
const visiting = new Set();
const done = new Set();
const visit = (name, path) => {
  if (done.has(name)) return;
  if (visiting.has(name)) {
    problems.push(`import rules form a cycle: ${[...path, name].join(' -> ')}`);
    return;
  }
  visiting.add(name);
  for (const dep of allowed[name] ?? []) if (dep !== '*') visit(dep, [...path, name]);
  visiting.delete(name);
  done.add(name);
};
for (const name of Object.keys(allowed)) visit(name, []);

// Only packages/queue builds Redis key names; everything else asks queue for what it needs.
for (const [name, { dir }] of Object.entries(pkgs)) {
  if (name === '@pushfleet/queue' || name === '@pushfleet/test') continue;
  for (const file of files(join(root, dir, 'src'))) {
    if (/\.test\.ts$|__fixtures__/.test(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (/\{pushfleet:|\bqueueKeys\b/.test(text))
      problems.push(`${relative(root, file)}: builds Redis keys (only @pushfleet/queue may)`);
  }
}

// Apps read the environment and config resolves it; a package that read it too would be a second place.
for (const [name, { dir }] of Object.entries(pkgs)) {
  if (!dir.startsWith('packages/')) continue;
  if ((allowed[name] ?? []).includes('@pushfleet/config'))
    problems.push(`${dir}: ${name} may not import @pushfleet/config (only apps do)`);
  for (const file of files(join(root, dir, 'src'))) {
    if (/\.test\.ts$|__fixtures__|\/bench\//.test(file)) continue;
    const code = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\/\/|\/?\*)/.test(line));
    if (code.some((line) => /\bprocess\.env\b/.test(line)))
      problems.push(`${relative(root, file)}: reads process.env (packages take plain options)`);
  }
}

if (problems.length > 0) {
  process.stderr.write(`import rules broken:\n  ${problems.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write(`import rules hold across ${workspaces.length} workspaces\n`);
