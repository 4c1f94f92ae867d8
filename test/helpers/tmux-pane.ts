// The walkthrough's terminal: `lab ARGS` in an 80x50 tmux pane (see Tmux), its exit code kept in a
// file; answers select prompts and types into shells. Every wait is bounded and polled.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { MAIN, ROOT } from './cli.js';
import { Tmux } from './tmux.js';

export class Pane {
  private readonly tmux = new Tmux();
  private readonly exitFile: string;

  private constructor(private readonly dir: string) {
    this.exitFile = join(dir, 'exit');
  }

  // Starts `lab ARGS` in an 80x50 pane, without CI (so it is interactive), with this environment.
  static async start(args: string[], env: Record<string, string> = {}): Promise<Pane> {
    const pane = new Pane(mkdtempSync(join(tmpdir(), 'lab-tmux-')));
    const envs = Object.entries({ TERM: 'xterm-256color', ...env })
      .map(([k, v]) => `${k}='${v}'`)
      .join(' ');
    const cmd = `cd '${ROOT}' && env -u CI ${envs} '${process.execPath}' '${MAIN}' ${args.join(' ')}; echo $? > '${pane.exitFile}.tmp'; mv '${pane.exitFile}.tmp' '${pane.exitFile}'; sleep 600`;
    await pane.tmux.start(cmd, 80, 50, {}, 20_000);
    return pane;
  }

  // The visible screen.
  screen(): Promise<string> {
    return this.tmux.screen();
  }

  // Everything printed so far; joined: lines the terminal wrapped are one again; escapes: colours kept.
  history(joined = false, escapes = false): Promise<string> {
    return this.tmux.history(joined, escapes);
  }

  // Sends keys (tmux key names, or literal text with literal = true).
  async keys(keys: string[], literal = false): Promise<void> {
    if (literal) for (const k of keys) await this.tmux.text(k);
    else await this.tmux.keys(...keys);
  }

  // Types a line into a shell.
  async type(line: string): Promise<void> {
    await this.tmux.text(line);
    await this.tmux.keys('Enter');
  }

  // Waits until the screen (or the whole history) matches, or fails with what it shows.
  async waitFor(re: RegExp, timeoutMs = 20_000, where: 'screen' | 'history' = 'screen'): Promise<string> {
    const r = await this.tmux.waitFor((s) => re.test(s), timeoutMs, where);
    if (!r.ok) throw new Error(`timed out after ${timeoutMs} ms waiting for ${re}; the ${where} shows:\n${r.screen}`);
    return r.screen;
  }

  // Answers the select prompt whose message matches: `down` times Down, then Enter; waits until it is gone.
  async choose(message: RegExp, down = 0, timeoutMs = 20_000): Promise<void> {
    const prompt = new RegExp(`\\? ${message.source}[^]*navigate`);
    await this.waitFor(prompt, timeoutMs);
    for (let i = 0; i < down; i++) await this.tmux.keys('Down');
    await this.tmux.keys('Enter');
    await this.tmux.waitFor((s) => !prompt.test(s), 5_000);
  }

  // Answers the select prompt whose message matches by the choice whose text matches `option` (the
  // choices are counted on screen, so a choice added above it does not change the answer).
  async pick(message: RegExp, option: RegExp, timeoutMs = 20_000): Promise<void> {
    const screen = await this.waitFor(new RegExp(`\\? ${message.source}[^]*navigate`), timeoutMs);
    const lines = screen.split('\n');
    const top = lines.findLastIndex((l) => new RegExp(`\\? ${message.source}`).test(l));
    const first = lines.findIndex((l, i) => i > top && /^❯ /.test(l)); // the cursor starts on the first choice
    const choices = lines.slice(first).filter((l) => /^(❯ | {2})\S/.test(l) && !/navigate/.test(l)); // not the continuation lines (4 spaces)
    const index = choices.findIndex((l) => option.test(l));
    if (index < 0) throw new Error(`no choice matching ${option} under ${message}; the screen shows:\n${screen}`);
    await this.choose(message, index, timeoutMs);
  }

  // The CLI's exit code once it has exited (bounded wait).
  async exitCode(timeoutMs = 30_000): Promise<number> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (existsSync(this.exitFile)) return Number(readFileSync(this.exitFile, 'utf8').trim());
      await delay(50);
    }
    throw new Error(`the CLI did not exit within ${timeoutMs} ms; the screen shows:\n${await this.screen()}`);
  }

  // Ends the tmux server of this pane (and what still runs in it), and removes its folder.
  async kill(): Promise<void> {
    await this.tmux.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
