// The runner's Perl scripts are real files that compile, and their system call numbers fit the machine.
import test from 'ava';
import { execa } from 'execa';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EnvironmentError } from '../../src/errors.js';
import { perlFile, perlScript } from '../../src/sys/perl.js';
import { perlSyscallTable, syscallNumbers } from '../../src/sys/syscalls.js';

const DIR = dirname(perlFile('agent'));
const scripts = readdirSync(DIR).filter((f) => f.endsWith('.pl'));

test('the build carries the Perl scripts', (t) => {
  t.deepEqual(scripts.sort(), ['agent.pl', 'keyring.pl', 'nodes.pl', 'view.pl'], DIR);
});

test('nodes.pl has no single quote: the baseline passes it to perl in single quotes', (t) => {
  t.false(readFileSync(join(DIR, 'nodes.pl'), 'utf8').includes("'"));
});

for (const name of scripts) {
  test(`perl -c ${name}, with the system call table before it`, async (t) => {
    const text = `${perlSyscallTable()}\n${readFileSync(join(DIR, name), 'utf8')}`;
    const r = await execa('perl', ['-c', '-e', text], { reject: false });
    t.is(r.exitCode, 0, String(r.stderr));
    t.regex(String(r.stderr), /syntax OK/);
  });
}

test('each script uses only system call names the table has', (t) => {
  const known = new Set(Object.keys(syscallNumbers('x64')));
  for (const name of scripts) {
    const text = readFileSync(join(DIR, name), 'utf8');
    t.notRegex(text, /syscall\(\s*\d/, `${name}: a bare system call number`);
    for (const m of text.matchAll(/\$NR\{(\w+)\}/g))
      t.true(known.has(m[1] ?? ''), `${name}: $NR{${m[1]}} is not in the table`);
  }
});

test('x86_64 and aarch64 numbers are the kernel tables, and differ where the kernel differs', (t) => {
  const x = syscallNumbers('x64');
  const a = syscallNumbers('arm64');
  t.deepEqual([x.setns, x.unshare, x.mount, x.sethostname, x.keyctl], [308, 272, 165, 170, 250]);
  t.deepEqual([a.setns, a.unshare, a.mount, a.sethostname, a.keyctl], [268, 97, 40, 161, 219]);
  t.is(x.open_tree, a.open_tree, 'the newer calls share numbers on every architecture');
});

test('this machine: the table is in force at run time', async (t) => {
  const r = await execa('perl', ['-e', `${perlSyscallTable()}\nprint $main::NR{setns}`]);
  t.is(Number(r.stdout), syscallNumbers().setns);
  t.true(perlScript('agent').startsWith('BEGIN { %main::NR = ('));
});

test('any other architecture is refused with exit 3, naming it', (t) => {
  const e = t.throws(() => syscallNumbers('riscv64'), { instanceOf: EnvironmentError });
  t.is(e?.exitCode, 3);
  t.regex(e?.message ?? '', /riscv64/);
  t.regex(e?.message ?? '', /x86_64 and aarch64/);
});
