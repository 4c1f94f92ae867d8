#!/usr/bin/env node
// `lab`: argument parsing and exit codes; everything else happens in the engine and front ends.
import { createRequire } from 'node:module';
import type * as Commander from 'commander';
import { EXIT, toLabError, UsageError } from '../errors.js';
import { printError } from './print-error.js';
import type { RunFlags } from './run-command.js';
import type { DemoFlags } from './demo-command.js';

// commander through require: its ES module wrapper loads more at every start.
const { Command, CommanderError, Option } = createRequire(import.meta.url)('commander') as typeof Commander;

const collect = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').filter(Boolean)];

// Options shared by `run` and `check`.
function runOptions(cmd: Commander.Command): Commander.Command {
  return cmd
    .option('--skip <step>', "leave out this step's commands but still run every check (repeatable)", collect)
    .option('--until <step>', 'stop after this step')
    .option('--keep', 'leave the sandbox up afterwards and print how to enter it')
    .option(
      '--json [file]',
      'the whole result as JSON (steps, commands, outputs, flows, verdicts): on stdout instead of the report, or into FILE beside it',
    )
    .option('--save-pcap <dir>', 'write one pcap per capture point per step into DIR')
    .option('--junit <file>', 'also write JUnit XML into FILE: one testcase per step check (for CI)')
    .option('--report <file>', 'also write a self-contained HTML report into FILE: topology, commands, verdicts, flows')
    .option(
      '--pause-on-fail',
      'when a check fails, keep the sandbox, say how to enter it, and wait for Enter before tearing down',
    )
    .option('-v, --verbose', 'show every command output and every flow seen')
    .option(
      '--trace',
      'after each check, trace the first packet of its first probe through netfilter: chains, rules, verdicts',
    )
    .addOption(
      new Option(
        '--reporter <name>',
        'terminal output: a live task list (listr, the default on a terminal) or stable lines (plain, the default otherwise: CI, a pipe)',
      ).choices(['listr', 'plain']),
    );
}

// Each subcommand's module (and the engine behind it) is loaded only when that subcommand runs:
// `lab check` must not pay for the demo, the walkthrough or housekeeping at start-up.
export function buildProgram(setCode: (c: number) => void): Commander.Command {
  const program = new Command('lab')
    .description(
      "Lab runner for Linux container networking: every step is proved with real packets.\nLabs run in a private sandbox of network namespaces; the real machine's network is never touched.",
    )
    .version('0.1.0')
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
    .exitOverride();
  program.addHelpText(
    'after',
    '\nExit codes: 0 all checks passed, 1 a check failed, 2 usage or lab error, 3 environment (tool, privilege), 70 internal bug (or a sandbox that could not be removed whole), 130 interrupted by Ctrl-C or quit early, 143 SIGTERM, 129 SIGHUP.',
  );

  program
    .command('list')
    .description('list the labs')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }) => (await import('./list-command.js')).listCommand(o));

  runOptions(
    program
      .command('run')
      .argument('<lab>', 'lab id (e.g. 03-masquerade, or 03), or a path to a lab module')
      .description('run a lab: interactive walkthrough on a terminal, or straight through with --check')
      .option('--check', 'non-interactive: run every step and check it (for CI)'),
  ).action(async (lab: string, o: RunFlags) => setCode(await (await import('./run-command.js')).runCommand(lab, o)));

  runOptions(
    program
      .command('check')
      .argument('<lab-or-run>', 'lab id or path; with STEP, the run id of a running or kept sandbox (`lab ps`)')
      .argument('[step]', 'check only this step against that sandbox as it is now: no command runs')
      .description(
        'same as `run LAB --check`; `check RUN STEP [--json]` checks one step of a kept sandbox as it is now (exit 0 passed, 1 failed, 2 unknown run or step, 3 dead sandbox)',
      ),
  ).action(async (lab: string, step: string | undefined, o: RunFlags) =>
    setCode(
      step === undefined
        ? await (await import('./run-command.js')).runCommand(lab, { ...o, check: true })
        : await (await import('./check-command.js')).checkCommand(lab, step, o),
    ),
  );

  program
    .command('demo')
    .argument('<lab>', 'lab id or path')
    .description(
      'full-screen demo for a class: topology, steps, commands and live packets; keys step forward and back, toggle traffic',
    )
    .option('--junit <file>', 'write a JUnit XML report of the steps run')
    .option('--report <file>', 'write a self-contained HTML report of the steps run')
    .option('--save-pcap <dir>', 'keep each check window as pcap files under DIR')
    .option('--trace', "after each step's check, show its first probe packet's path")
    .option('--json [file]', 'refused: the demo has no result to print (use lab run --check --json)')
    .option('--pause-on-fail', 'refused: the demo keeps its sandbox up until q')
    .action(async (lab: string, o: DemoFlags) =>
      setCode(await (await import('./demo-command.js')).demoCommand(lab, o)),
    );

  program
    .command('shell')
    .argument('<lab-or-run>', 'run id, or lab id, of a running sandbox or one kept with --keep')
    .argument('<node>', 'host, wan, or a container')
    .argument('[command...]', 'run this command (its arguments passed as given) instead of an interactive shell')
    .description('open a shell inside a node of a running or kept sandbox')
    .passThroughOptions()
    .action(async (ref: string, node: string, cmd: string[]) =>
      setCode(await (await import('./shell-command.js')).shellCommand(ref, node, cmd)),
    );

  program
    .command('progress')
    .description('your saved progress per lab: steps done, predictions right')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }) => setCode(await (await import('./progress-command.js')).progressCommand(o)));
  program
    .command('reset')
    .argument('<lab>', 'lab id or prefix')
    .description('forget your saved progress of a lab')
    .action(async (lab: string) => setCode(await (await import('./progress-command.js')).resetCommand(lab)));

  program
    .command('verify')
    .argument('<lab>', 'lab id or path')
    .option('--json', 'as JSON')
    .option(
      '--each-command',
      'also leave out each state-changing command alone (default: when that takes under a minute)',
    )
    .option('--no-each-command', 'only leave out whole steps')
    .description(
      "run the lab, then each step without its commands, then each declared mistake instead of its step's commands: is every check load-bearing, and every mistake caught with its hint? (exit 1 if not)",
    )
    .action(async (lab: string, o: { json?: boolean; eachCommand?: boolean }) =>
      setCode(await (await import('./verify-command.js')).verifyCommand(lab, o)),
    );
  program
    .command('new')
    .argument('<id>', 'NN-name, e.g. 09-my-lab')
    .description('write labs/NN-name.ts: a lab that passes, and fails when its step is skipped')
    .action(async (id: string) => setCode((await import('./verify-command.js')).newCommand(id)));

  const rootfs = program.command('rootfs').description("the containers' root filesystem (debootstrap, cached)");
  rootfs
    .command('build')
    .description('build it now if the cache does not match the recipe')
    .option('--force', 'rebuild even if cached')
    .option('--json', 'as JSON')
    .action(async (o: { force?: boolean; json?: boolean }) =>
      setCode(await (await import('./rootfs-command.js')).rootfsBuild(o)),
    );
  rootfs
    .command('status')
    .description('what is cached, and how big')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }) => setCode((await import('./rootfs-command.js')).rootfsStatus(o)));

  program
    .command('serve')
    .description("serve a class in the browser: each student in their own sandbox, the teacher's live board")
    .option('--port <n>', 'TCP port (0: any free one)', '8080')
    .option('--host <addr>', 'address to bind; anything but loopback warns unless TLS is given', '127.0.0.1')
    .option('--labs <ids>', 'the labs the class may open, comma-separated (default: every lab)', collect)
    .option('--max-students <n>', 'joins beyond this many get 503', '40')
    .option('--data <dir>', "the class's database folder (default: the XDG state folder, lab/serve)")
    .option('--idle-minutes <n>', "remove a student's sandbox unused this long (their progress stays)", '20')
    .option('--spares <n>', "sandboxes built ahead of the students' starts, of the lab last started", '2')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', "and this certificate's key (PEM)")
    .option('--json', 'print one JSON line { url, teacherToken, code } instead')
    .action(async (o: import('./serve-command.js').ServeFlags) =>
      setCode(await (await import('./serve-command.js')).serveCommand(o)),
    );

  program
    .command('ps')
    .description('list kept, running and dead sandboxes: run id, lab, state, age, owner, checkout')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }) => setCode((await import('./ps-command.js')).psCommand(o)));
  program
    .command('clean')
    .argument('[run]', 'remove this sandbox (a run id from `lab ps`)')
    .description('remove your leftovers of dead runs from this checkout; RUN removes one sandbox, --all every one')
    .option('--all', 'list, then remove every sandbox in the journal: your own, and dead ones of any user or checkout')
    .option('--force', 'with --all: also the live (running or kept) sandboxes of other users and checkouts')
    .option('--json', 'as JSON')
    .action(async (run: string | undefined, o: { all?: boolean; force?: boolean; json?: boolean }) =>
      setCode(await (await import('./clean-command.js')).cleanCommand(run, o)),
    );
  return program;
}

// Parses, runs, and exits with the one exit code the run decided.
async function main(): Promise<void> {
  // A reader that goes away (`lab run ... | head`, a closed terminal) must not crash the run before its teardown;
  // standard output that cannot be written (a full disk) is told at the end, and the run is not a success.
  let stdoutFailed: NodeJS.ErrnoException | undefined;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'EIO') stdoutFailed ??= err;
  });
  let code: number = EXIT.pass;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      code = err.exitCode === 0 ? EXIT.pass : EXIT.usage; // help and version exit 0; bad arguments 2
    } else {
      const e = err instanceof UsageError ? err : toLabError(err);
      printError(e);
      code = e.exitCode;
    }
  }
  await new Promise((r) => setImmediate(r)); // a failed write's error event comes a tick later
  stdoutFailed ??= (process.stdout.errored ?? undefined) as NodeJS.ErrnoException | undefined;
  if (stdoutFailed && stdoutFailed.code !== 'EPIPE' && stdoutFailed.code !== 'EIO') {
    printError({
      code: 'OUTPUT_FILE',
      message: `cannot write standard output: ${stdoutFailed.code === 'ENOSPC' ? 'no space left on its device (ENOSPC)' : stdoutFailed.message}`,
      hint: 'free some space where it goes, or send it elsewhere',
    });
    if (code === EXIT.pass || code === EXIT.checkFailed) code = EXIT.environment;
  }
  process.exitCode = code;
}

await main();
