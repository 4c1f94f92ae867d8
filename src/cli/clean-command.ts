// `lab clean [RUN] [--all]`: removes sandboxes and says exactly what it removed, and what it could not and why.
import { EnvironmentError, EXIT, UsageError } from '../errors.js';
import { cleanSandboxes, type CleanReport } from '../sandbox/clean.js';
import { collectOldBuilds, type OldBuilds } from '../sandbox/rootfs.js';
import { stateDir } from '../sandbox/state.js';
import { sandboxTable, withRootHint } from './ps-command.js';
import { oldBuildLines } from './rootfs-command.js';

// Removes one sandbox, this user's dead ones, or (--all) every one in the journal; exit 3 if any removal was refused.
export async function cleanCommand(
  run: string | undefined,
  o: { all?: boolean; force?: boolean; json?: boolean },
): Promise<number> {
  if (run && o.all)
    throw new UsageError('CLEAN_USAGE', 'give a run id or --all, not both', 'run `lab ps` to see the run ids');
  if (o.force && !o.all)
    throw new UsageError(
      'CLEAN_USAGE',
      '--force goes with --all (a run id is removed without it)',
      'lab clean --all --force',
    );
  const command = `lab clean${run ? ` ${run}` : ''}${o.all ? ' --all' : ''}${o.force ? ' --force' : ''}`;
  const report = await cleanSandboxes({ ...(run ? { run } : {}), all: Boolean(o.all), force: Boolean(o.force) }).catch(
    (err: unknown) => Promise.reject(withRootHint(err, command)),
  );
  // Replaced root filesystem builds go once no sandbox uses them; only root can see every sandbox's mounts.
  const old: OldBuilds = process.geteuid?.() === 0 ? collectOldBuilds() : { removed: [], kept: [], failed: [] };
  const failed = report.outcomes.filter((x) => x.failed);
  const privilege = failed.some((x) => x.failed?.privilege);
  const code = failed.length ? EXIT.environment : EXIT.pass;
  if (o.json)
    process.stdout.write(
      `${JSON.stringify({ exitCode: code, journal: stateDir(), ...report, rootfs: old }, null, 2)}\n`,
    );
  else process.stdout.write(reportText(report, Boolean(o.all)) + oldBuildLines(old));
  if (!failed.length) return code;
  const what = `could not remove ${failed.length} sandbox${failed.length > 1 ? 'es' : ''}: ${failed.map((x) => `${x.runId} (${x.failed?.reason})`).join('; ')}`;
  if (privilege) throw new EnvironmentError('NO_PRIVILEGE', what, `run it as root: sudo ./${command}`);
  throw new EnvironmentError(
    'CLEAN_FAILED',
    what,
    'look at those processes (`lab ps`, `ps -p PID`), then run `lab clean` again',
  );
}

// The words of a report: the list first under --all, then each removal, refusal, and what was left alone.
function reportText(r: CleanReport, all: boolean): string {
  const lines: string[] = [];
  if (all && r.listed.length) lines.push(`sandboxes in ${stateDir()}:\n${sandboxTable(r.listed).trimEnd()}`);
  for (const x of r.outcomes) {
    const head = `${x.runId} (${x.lab}, ${x.state})`;
    if (x.removed.length) lines.push(`removed sandbox ${head}:${x.removed.map((w) => `\n  ${w}`).join('')}`);
    if (x.failed) lines.push(`could not remove sandbox ${head}: ${x.failed.reason}`);
  }
  // Sandboxes of other journals (other checkouts' tests, another LAB_STATE_DIR) on one line: they are not ours to list.
  const elsewhere = r.left.filter((x) => !x.journaled);
  for (const x of r.left.filter((l) => !elsewhere.includes(l)))
    lines.push(
      `left alone: ${x.runId} (${[x.lab, x.state, x.user === undefined ? '' : `user ${x.user}`, x.checkout ? `checkout ${x.checkout}` : '', x.pid ? `${x.state === 'running' ? 'runner' : 'keeper'} pid ${x.pid}` : ''].filter(Boolean).join(', ')}): ${x.why}`,
    );
  if (elsewhere.length)
    lines.push(
      `left alone: ${elsewhere.length} sandbox${elsewhere.length > 1 ? 'es' : ''} of other journals (${elsewhere.map((x) => x.runId).join(', ')}): \`lab clean RUN\` removes one`,
    );
  if (!r.outcomes.length) lines.push('nothing to clean');
  return `${lines.join('\n')}\n`;
}
