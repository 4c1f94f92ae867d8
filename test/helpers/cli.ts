// Runs the built CLI as a user would, and reads its exit code, output and JSON result.
import { execa, type ResultPromise } from 'execa';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

// Runs `lab ARGS` to completion.
export async function lab(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [MAIN, ...args], {
    reject: false,
    cwd: ROOT,
    env: { CI: 'true', ...env },
    timeout: 120_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

// Starts `lab ARGS` without waiting, for signal tests.
export function labProcess(args: string[], env: Record<string, string> = {}): ResultPromise {
  return execa(process.execPath, [MAIN, ...args], {
    reject: false,
    cwd: ROOT,
    env: { CI: 'true', ...env },
    timeout: 120_000,
  });
}

export interface JsonExpectation {
  expectation: { kind: string; point: string; matcher: { label: string; fields: Record<string, unknown> } };
  pass: boolean;
  matched: number;
  message: string;
  nearMisses: { flow: string; diffs: { field: string; expected: string; seen: string }[] }[];
}
export interface JsonStep {
  id: string;
  status: string;
  skipped: boolean;
  commands: { display: string; node: string; exitCode: number; ok: boolean }[];
  check?: {
    pass: boolean;
    expectations: JsonExpectation[];
    points: { point: string; ready: boolean; drops: number; flows: unknown[]; error?: string }[];
  };
}
export interface JsonResult {
  exitCode: number;
  lab: string;
  status: string;
  runId?: string;
  steps: JsonStep[];
  error?: { code: string; message: string; hint: string };
}

// Runs a lab with --check --json and parses the result.
export async function runJson(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ cli: CliResult; result: JsonResult }> {
  const cli = await lab(['run', ...args, '--check', '--json'], env);
  let result: JsonResult;
  try {
    result = JSON.parse(cli.stdout) as JsonResult;
  } catch {
    throw new Error(`no JSON on stdout (exit ${cli.exitCode}):\n${cli.stdout}\n${cli.stderr}`);
  }
  return { cli, result };
}

// The step of a result, or a clear failure.
export function step(r: JsonResult, id: string): JsonStep {
  const s = r.steps.find((x) => x.id === id);
  if (!s) throw new Error(`step ${id} not in result: ${r.steps.map((x) => x.id).join(', ')}`);
  return s;
}
