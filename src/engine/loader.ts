// Finds lab modules by id or path, imports them and validates them before anything runs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LabDefinitionError, UsageError } from '../errors.js';
import type { LabDef } from '../model/lab.js';
import { LOAD_BOUND_MS, probeLabs, type ProbeVerdict } from './lab-probe.js';

export { probeLabs } from './lab-probe.js';
import { compiledPath, displayPath, LABS_DIST } from './paths.js';
import { closest } from './suggest.js';
import { labProblems } from '../model/validate.js';
import { TOOL_PACKAGES } from '../sys/tools.js';

export interface LoadedLab {
  def: LabDef;
  file: string; // as shown to the user
}

const LAB_FILE = /^\d{2}-[a-z0-9-]+\.js$/;

// Checks a loaded module's default export and returns it typed, or throws naming file and fields (exit 2).
export function validateLab(value: unknown, file: string, expectedId?: string): LabDef {
  const problems = labProblems(value, {
    ...(expectedId ? { expectedId } : {}),
    knownTools: Object.keys(TOOL_PACKAGES),
  });
  if (problems.length) throw new LabDefinitionError(file, problems);
  return value as LabDef;
}

// Ids of the labs that ship with the runner, in order.
export function labIds(dir = LABS_DIST): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => LAB_FILE.test(n))
    .map((n) => n.slice(0, -3))
    .sort();
}

// Resolves what the user typed (an id, a unique prefix such as 03, or a path) to a module file.
export function resolveLab(ref: string, dir = LABS_DIST): string {
  if (ref.includes('/') || /\.(ts|js|mjs)$/.test(ref)) {
    const src = resolve(ref);
    const file = extname(src) === '.ts' ? compiledPath(src) : src;
    if (!existsSync(src) && !existsSync(file))
      throw new UsageError(
        'LAB_NOT_FOUND',
        `no lab file at ${ref}`,
        'give a lab id (see `lab list`) or a path to a lab module',
      );
    if (!existsSync(file))
      throw new UsageError('LAB_NOT_BUILT', `${ref} is not built yet`, 'run ./lab (it builds), or npm run build');
    return file;
  }
  const ids = labIds(dir);
  const exact = ids.find((id) => id === ref);
  const byPrefix = ids.filter((id) => id.startsWith(ref));
  const id = exact ?? (byPrefix.length === 1 ? byPrefix[0] : undefined);
  if (!id) {
    const guess = closest(ref, ids);
    const hint =
      byPrefix.length > 1
        ? `did you mean one of: ${byPrefix.join(', ')}?`
        : guess
          ? `did you mean ${guess}?`
          : 'run `lab list` to see the labs';
    throw new UsageError('LAB_NOT_FOUND', `unknown lab "${ref}"`, hint);
  }
  return resolve(dir, `${id}.js`);
}

// Labs whose TypeScript did not compile (scripts/setup.sh lists them): source file -> first error.
function brokenLabs(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  let text = '';
  try {
    text = readFileSync(join(dir, '.broken'), 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const [file, error] = line.split('\t');
    if (file && error && !out.has(file)) out.set(file, error);
  }
  return out;
}

// A lab whose top-level code has not returned within the bound.
function hungLab(shown: string, boundMs: number): LabDefinitionError {
  return new LabDefinitionError(
    shown,
    [
      `does not finish loading: its top-level code ran over ${boundMs / 1000} s (a loop that never ends, or a wait at top level?)`,
    ],
    'a lab module only defines its lab: move long work into its steps',
  );
}

// Imports and validates a lab module; its top-level code is first run in a worker with a time bound
// (`probed`: that verdict, when the caller probed many labs at once).
export async function loadLab(
  ref: string,
  dir = LABS_DIST,
  probed?: Promise<ProbeVerdict>,
  boundMs = LOAD_BOUND_MS,
): Promise<LoadedLab> {
  const file = resolveLab(ref, dir);
  const shown = displayPath(file);
  const broken = brokenLabs(dir).get(shown);
  if (broken) throw new LabDefinitionError(shown, [`does not compile: ${broken}`]);
  if ((await (probed ?? probeLabs([file], boundMs).get(file))) === 'hung') throw hungLab(shown, boundMs);
  let mod: { default?: unknown };
  let timer: NodeJS.Timeout | undefined;
  try {
    // Returned in the worker: an import that waits at top level is still bounded here.
    const late = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(hungLab(shown, boundMs)), boundMs)),
    );
    mod = (await Promise.race([import(pathToFileURL(file).href), late])) as { default?: unknown };
  } catch (err) {
    if (err instanceof LabDefinitionError) throw err;
    throw new LabDefinitionError(shown, [`cannot be loaded: ${(err as Error).message.split('\n')[0]}`]);
  } finally {
    clearTimeout(timer);
  }
  const expectedId = LAB_FILE.test(basename(file).replace(/\.mjs$/, '.js'))
    ? basename(file).replace(/\.m?js$/, '')
    : undefined;
  return { def: validateLab(mod.default, shown, expectedId), file: shown };
}
