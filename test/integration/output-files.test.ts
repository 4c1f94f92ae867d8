// The CLI's output files from real runs: a link another user planted in a sticky folder is refused before
// anything is built (exit 2) and the root file it points to stays; a full device is exit 3 naming the file.
import test from '../helpers/root-test.js';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../src/errors.js';
import { execa } from 'execa';
import { lab, MAIN, ROOT } from '../helpers/cli.js';
import { makeOtherUser } from '../helpers/other-user.js';

const PROBES = 'fixtures/labs/probes.ts'; // passes, no container

test('--json, --junit, --report and --save-pcap through a link another user planted in /tmp: exit 2, nothing written', async (t) => {
  const other = await makeOtherUser('cli');
  const shared = mkdtempSync(join(tmpdir(), 'lab-cli-shared-'));
  const vault = mkdtempSync(join(tmpdir(), 'lab-cli-vault-'));
  t.teardown(async () => {
    rmSync(shared, { recursive: true, force: true });
    rmSync(vault, { recursive: true, force: true });
    await other.remove();
  });
  chmodSync(shared, 0o1777);
  chmodSync(vault, 0o700);
  const secret = join(vault, 'secret');
  writeFileSync(secret, 'root only\n', { mode: 0o600 });
  for (const flag of ['--json', '--junit', '--report', '--save-pcap']) {
    const planted = join(shared, flag.slice(2));
    t.is((await other.run(['ln', '-s', flag === '--save-pcap' ? vault : secret, planted])).exitCode, 0);
    const started = performance.now();
    const r = await lab([
      'check',
      PROBES,
      '--reporter',
      'plain',
      flag,
      flag === '--save-pcap' ? join(planted, 'x') : planted,
    ]);
    t.is(r.exitCode, EXIT.usage, `${flag}: ${r.stdout}${r.stderr}`);
    t.regex(
      r.stderr,
      new RegExp(
        `${flag} .*symbolic link that ${other.name} \\(uid ${other.uid}\\) made in the shared folder ${shared}`,
      ),
      flag,
    );
    t.notRegex(r.stdout, /PASS|sandbox/, `${flag}: refused before anything was built`);
    t.true(performance.now() - started < 20_000, flag);
  }
  t.is(readFileSync(secret, 'utf8'), 'root only\n');
  t.deepEqual((await import('node:fs')).readdirSync(vault), ['secret']);
});

test('--json /dev/full and --junit /dev/full: exit 3 naming the file, never 0 and never "a bug"', async (t) => {
  for (const flag of ['--json', '--junit']) {
    const r = await lab(['check', PROBES, '--reporter', 'plain', flag, '/dev/full']);
    t.is(r.exitCode, EXIT.environment, `${flag}: ${r.stdout}${r.stderr}`);
    t.regex(r.stderr, /error: cannot write \/dev\/full: no space left on its device \(ENOSPC\)/, flag);
    t.notRegex(r.stderr, /bug in lab/, flag);
    t.regex(r.stdout, /passed/i, `${flag}: the run itself passed; only the file failed`);
  }
});

test("standard output on a full device: exit 3 saying so, for a run's JSON, a run's report and lab list", async (t) => {
  for (const args of [['check', PROBES, '--json'], ['check', PROBES, '--reporter', 'plain'], ['list']]) {
    const r = await execa('sh', ['-c', 'exec "$0" "$@" > /dev/full', process.execPath, MAIN, ...args], {
      reject: false,
      cwd: ROOT,
      env: { CI: 'true' },
      timeout: 120_000,
    });
    t.is(r.exitCode, EXIT.environment, `${args.join(' ')}: ${String(r.stderr)}`);
    t.regex(
      String(r.stderr),
      /^error: cannot write standard output: no space left on its device \(ENOSPC\)$/m,
      args.join(' '),
    );
    t.notRegex(String(r.stderr), /bug in lab|at .*\.js:\d+/, args.join(' '));
  }
});
