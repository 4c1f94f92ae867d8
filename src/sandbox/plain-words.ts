// A command line of plain words runs without a shell: the argv the shell would have made, one process
// (and its start-up) less. Anything the shell would read differently keeps the shell: quotes, `$`, globs,
// `~`, redirections, operators, comments, an assignment or a shell builtin or keyword first.

const WORD = /^[A-Za-z0-9_./:=+,@%!-]+$/;
// dash's builtins and keywords: run by the shell itself, or differently from the program of that name.
const SHELL_ONLY = new Set([
  '.',
  ':',
  '[',
  'alias',
  'bg',
  'break',
  'cd',
  'chdir',
  'command',
  'continue',
  'echo',
  'eval',
  'exec',
  'exit',
  'export',
  'false',
  'fc',
  'fg',
  'getopts',
  'hash',
  'jobs',
  'kill',
  'local',
  'printf',
  'pwd',
  'read',
  'readonly',
  'return',
  'set',
  'shift',
  'test',
  'times',
  'trap',
  'true',
  'type',
  'ulimit',
  'umask',
  'unalias',
  'unset',
  'wait',
  'case',
  'do',
  'done',
  'elif',
  'else',
  'esac',
  'fi',
  'for',
  'if',
  'in',
  'then',
  'until',
  'while',
]);

// The words of `cmd` when a shell would only split it on spaces; undefined when it needs the shell.
export function plainWords(cmd: string): string[] | undefined {
  if (/[^ A-Za-z0-9_./:=+,@%!-]/.test(cmd)) return undefined; // anything else (tabs, newlines included)
  const words = cmd.split(' ').filter(Boolean);
  const first = words[0];
  if (!first || first.includes('=') || first.startsWith('!') || SHELL_ONLY.has(first)) return undefined;
  return words.every((w) => WORD.test(w)) ? words : undefined;
}
