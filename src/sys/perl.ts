// The runner's Perl scripts, kept as checked .pl files beside this module (the build copies them to
// dist): perl-base is in every Debian root, containers' included, and starts quickly. A script
// runs as `perl -e TEXT`, never by path, so it works from any checkout, even one a node cannot see.
import { readFileSync } from 'node:fs';
import { perlSyscallTable } from './syscalls.js';

export type PerlScript = 'agent' | 'keyring' | 'nodes' | 'view';

const cache = new Map<PerlScript, string>();

// The text of a script, with this architecture's system call numbers in %NR before it and its comment
// lines left out (they are for the reader of the file, not for every argv the script is passed in).
export function perlScript(name: PerlScript): string {
  let text = cache.get(name);
  if (text === undefined) {
    const code = readFileSync(perlFile(name), 'utf8')
      .split('\n')
      .filter((l) => !/^\s*#/.test(l));
    text = `${perlSyscallTable()}\n${code.join('\n')}`;
    cache.set(name, text);
  }
  return text;
}

// Where a script's file is (dist/src/sys/perl/NAME.pl once built).
export function perlFile(name: PerlScript): string {
  return new URL(`./perl/${name}.pl`, import.meta.url).pathname;
}
