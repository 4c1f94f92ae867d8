// Layer rules: dependencies point one way (labs -> lab.ts -> model <- engine -> check/capture/sandbox -> sys,
// and check/capture/sandbox -> model; front ends -> engine and model),
// for static imports, re-exports and dynamic import(), and for npm packages and Node's process spawning.
// Usage: node scripts/check-layers.mjs [ROOT]; prints each violation and exits 1 if there is any.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? join(dirname(new URL(import.meta.url).pathname), '..'));
// Below the engine, front ends may use only these files, named one by one: pure words for packets and
// verdicts, the hint a failed check says, the terminal handed to a shell, and files opened for output
// (src/sys/output-file.ts: no planted link followed). Every other file of check, capture, sandbox, sys is
// the engine's.
const FRONT_END_WORDS = [
  'src/errors.ts',
  'src/check/format.ts',
  'src/check/hints.ts',
  'src/capture/decode.ts',
  'src/capture/endpoint.ts',
  'src/sys/output-file.ts',
];
// What the command line may ask of sandboxes and the root filesystem outside a run (`lab ps`, `lab
// clean`, `lab rootfs`).
const HOUSEKEEPING = [
  'src/sandbox/clean.ts',
  'src/sandbox/rootfs.ts',
  'src/sandbox/rootfs-manifest.ts',
  'src/sandbox/rootfs-use.ts',
  'src/sandbox/sandboxes.ts',
  'src/sandbox/state.ts',
];
const ALLOWED = {
  'src/cli': ['src/cli', 'src/ui', 'src/engine', 'src/model', ...FRONT_END_WORDS, ...HOUSEKEEPING],
  'src/ui': ['src/ui', 'src/engine', 'src/model', ...FRONT_END_WORDS],
  'src/engine': ['src/engine', 'src/model', 'src/check', 'src/capture', 'src/sandbox', 'src/sys', 'src/errors.ts'],
  'src/check': ['src/check', 'src/model', 'src/capture', 'src/errors.ts'],
  'src/capture': ['src/capture', 'src/model', 'src/errors.ts', 'src/sys/output-file.ts'],
  'src/sandbox': ['src/sandbox', 'src/model', 'src/sys', 'src/errors.ts'],
  'src/sys': ['src/sys', 'src/errors.ts'],
  // The lab as data imports nothing of the runner: its problems are strings the loader turns into errors.
  'src/model': ['src/model'],
  // A lab's API is the model's builders, and the tools' pure NPTv6 arithmetic (the exact address a mapping gives).
  'src/lab.ts': ['src/model', 'src/tools/npt.ts'],
  'src/errors.ts': [],
  // The node tools (nat66, lk) run inside containers with only node and their own files: self-contained.
  'src/tools': ['src/tools'],
  labs: ['labs', 'src/lab.ts'],
};
// Each front end is one folder of rendering and input: it shares only the text helpers (ui/shared) and the
// report files any front end may write (ui/report), never another front end's code.
const FRONT_END_BELOW = ['src/engine', 'src/model', ...FRONT_END_WORDS];
ALLOWED['src/ui/shared'] = ['src/ui/shared', ...FRONT_END_BELOW];
for (const folder of ['walk', 'demo', 'ci', 'report', 'serve'])
  ALLOWED[`src/ui/${folder}`] = [`src/ui/${folder}`, 'src/ui/shared', 'src/ui/report', ...FRONT_END_BELOW];
// Type-only imports may also reach these (a front end may name the shape of a record it displays).
const TYPE_ONLY = {
  'src/ui': ['src/check', 'src/capture', 'src/sys', 'src/sandbox'],
  'src/cli': ['src/check', 'src/sandbox'],
};
// Packages (and Node modules) only some layers may use; every other package is free.
const PACKAGES = {
  execa: ['src/sys'],
  pcap: ['src/capture'],
  listr2: ['src/ui'],
  '@inquirer/prompts': ['src/ui'],
  blessed: ['src/ui'],
  commander: ['src/cli'],
  'node:child_process': ['src/sys', 'src/tools'],
  // A terminal is a spawned process too: only the system layer opens one.
  'node-pty': ['src/sys'],
  // The browser's terminal and sockets belong to the web front end; playwright-core drives tests only.
  '@xterm/xterm': ['src/ui'],
  '@xterm/addon-fit': ['src/ui'],
  '@fastify/websocket': ['src/ui'],
  'playwright-core': [],
  esbuild: [],
};

const layerOf = (rel) =>
  Object.keys(ALLOWED)
    .sort((a, b) => b.length - a.length)
    .find((k) => rel === k || rel.startsWith(`${k}/`));
const within = (rel, list) => list.some((k) => rel === k || rel.startsWith(`${k}/`));

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

// Every module a file names: `import ... from`, `export ... from`, bare `import '...'` and `import('...')`.
function* specifiers(text) {
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^;]*?from\s+['"]([^'"]+)['"]/gm))
    yield { spec: m[2], typeOnly: Boolean(m[1]) };
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) yield { spec: m[1], typeOnly: false };
  for (const m of text.matchAll(/\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g)) yield { spec: m[1], typeOnly: false };
}

const problems = [];
for (const top of ['src', 'labs']) {
  let list;
  try {
    list = [...files(join(root, top))];
  } catch {
    continue;
  }
  for (const file of list) {
    const rel = relative(root, file);
    const layer = layerOf(rel);
    if (!layer) continue;
    const text = readFileSync(file, 'utf8');
    for (const { spec, typeOnly } of specifiers(text)) {
      if (!spec.startsWith('.')) {
        const pkg = spec.startsWith('node:')
          ? spec
          : spec
              .split('/')
              .slice(0, spec.startsWith('@') ? 2 : 1)
              .join('/');
        const only = PACKAGES[pkg];
        if (only && !typeOnly && !within(rel, only))
          problems.push(`${rel}: ${layer} may not use ${pkg} (only ${only.join(', ')})`);
        continue;
      }
      const target = relative(root, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
      const typeOnlyOk = TYPE_ONLY[layer] ?? TYPE_ONLY[layer.split('/').slice(0, 2).join('/')] ?? [];
      if (within(target, ALLOWED[layer]) || (typeOnly && within(target, typeOnlyOk))) continue;
      problems.push(`${rel}: ${layer} may not import ${target}${typeOnly ? ' (even as a type)' : ''}`);
    }
  }
}
for (const p of problems) console.error(p);
if (problems.length) process.exit(1);
console.log('layers: ok');
