// LAB_TIMELINE=1: moments of a run (commands, captures, windows, teardown) in ms since the process
// started, written to stderr at exit; how `npm run bench` figures are explained, never judged.
const ON = Boolean(process.env.LAB_TIMELINE);
const lines: string[] = [];

// Records one moment (nothing unless LAB_TIMELINE is set).
export function mark(what: string): void {
  if (!ON) return;
  if (!lines.length) process.once('exit', () => process.stderr.write(`${lines.join('\n')}\n`));
  lines.push(`${performance.now().toFixed(1).padStart(8)} ms  ${what}`);
}
