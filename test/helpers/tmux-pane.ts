// A real terminal for front-end tests: the CLI runs in a tmux pane (own server socket), keys are
// sent with send-keys and the screen is read with capture-pane; every wait is bounded and polled.
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { MAIN, ROOT } from './cli.js';

export class Pane {
  readonly socket: string;
  readonly exitFile: string;
  private readonly dir: string;

  private constructor(socket: string, dir: string) {
    this.socket = socket;
    this.dir = dir;
    this.exitFile = join(dir, 'exit');
  }

  // Starts `lab ARGS` in an 80x50 pane, without CI (so it is interactive), with this environment.
  static async start(name: string, args: string[], env: Record<string, string> = {}): Promise<Pane> {
    const dir = mkdtempSync(join(tmpdir(), 'lab-tmux-'));
    const pane = new Pane(`lab-test-${name}-${process.pid}`, dir);
    const envs = Object.entries({ TERM: 'xterm-256color', ...env }).map(([k, v]) => `${k}='${v}'`).join(' ');
    const cmd = `cd '${ROOT}' && env -u CI ${envs} '${process.execPath}' '${MAIN}' ${args.join(' ')}; echo $? > '${pane.exitFile}.tmp'; mv '${pane.exitFile}.tmp' '${pane.exitFile}'; sleep 600`;
    await execa('tmux', ['-L', pane.socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'lab', '-x', '80', '-y', '50', cmd]);
    await execa('tmux', ['-L', pane.socket, 'set-option', '-g', 'history-limit', '20000']);
    return pane;
  }

  // The visible screen.
  async screen(): Promise<string> {
    return String((await execa('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', 'lab'])).stdout);
  }

  // Everything printed so far (scrollback and screen); joined: lines the terminal wrapped are one again.
  // `escapes` keeps the colours and attributes as escape sequences.
  async history(joined = false, escapes = false): Promise<string> {
    return String((await execa('tmux', ['-L', this.socket, 'capture-pane', '-p', ...(joined ? ['-J'] : []), ...(escapes ? ['-e'] : []), '-S', '-20000', '-t', 'lab'])).stdout);
  }

  // Sends keys (tmux key names, or literal text with literal = true).
  async keys(keys: string[], literal = false): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'send-keys', '-t', 'lab', ...(literal ? ['-l'] : []), ...keys]);
  }

  // Types a line into a shell.
  async type(line: string): Promise<void> {
    await this.keys([line], true);
    await this.keys(['Enter']);
  }

  // Waits until the screen (or the whole history) matches, or fails with what it shows.
  async waitFor(re: RegExp, timeoutMs = 20_000, where: 'screen' | 'history' = 'screen'): Promise<string> {
    const end = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < end) {
      text = where === 'screen' ? await this.screen() : await this.history(true);
      if (re.test(text)) return text;
      await delay(50);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${re}; the ${where} shows:\n${text}`);
  }

  // Answers the select prompt whose message matches: `down` times Down, then Enter; waits until it is gone.
  async choose(message: RegExp, down = 0, timeoutMs = 20_000): Promise<void> {
    await this.waitFor(new RegExp(`\\? ${message.source}[^]*navigate`), timeoutMs);
    for (let i = 0; i < down; i++) await this.keys(['Down']);
    await this.keys(['Enter']);
    const end = Date.now() + 5_000;
    while (Date.now() < end && new RegExp(`\\? ${message.source}[^]*navigate`).test(await this.screen())) await delay(30);
  }

  // The CLI's exit code once it has exited (bounded wait).
  async exitCode(timeoutMs = 30_000): Promise<number> {
    const { readFileSync, existsSync } = await import('node:fs');
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (existsSync(this.exitFile)) return Number(readFileSync(this.exitFile, 'utf8').trim());
      await delay(50);
    }
    throw new Error(`the CLI did not exit within ${timeoutMs} ms; the screen shows:\n${await this.screen()}`);
  }

  // Ends the tmux server of this pane (and what still runs in it), and removes its folder.
  async kill(): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'kill-server'], { reject: false });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
