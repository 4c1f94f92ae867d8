// One line typed in a node through the path a person's shell takes (session.shell): its exit code and
// all its output, bounded.
import { execa } from 'execa';
import type { LabSession } from '../../src/engine/session.js';

export async function inNode(session: LabSession, node: string, line: string): Promise<{ code: number; out: string }> {
  const sh = session.shell(node, ['sh', '-c', line]);
  const r = await execa(sh.argv[0]!, sh.argv.slice(1), {
    env: sh.env,
    extendEnv: false,
    reject: false,
    timeout: 10_000,
    all: true,
  });
  return { code: r.exitCode ?? -1, out: String(r.all) };
}
