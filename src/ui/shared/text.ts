// Terminal text for the walkthrough: wrapped at word boundaries to the terminal's width, commands
// never split (long ones continue with a backslash, still copyable), colours only where allowed.
import { styleText } from 'node:util';
import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';

type Style = Parameters<typeof styleText>[0];

// The width to lay text out in: the terminal's, at least 40, at most 100.
export function width(): number {
  return Math.max(40, Math.min(process.stdout.columns || 80, 100));
}

// Colour or emphasis; styleText drops it for NO_COLOR and when stdout is not a terminal.
export function paint(style: Style, text: string): string {
  return styleText(style, text);
}

// A paragraph wrapped at word boundaries: words (addresses, paths) are never broken.
export function wrap(text: string, indent = '', first = indent): string[] {
  const w = width() - stringWidth(indent);
  return wrapAnsi(text, Math.max(20, w), { hard: false, trim: true })
    .split('\n')
    .map((l, i) => `${i === 0 ? first : indent}${l}`);
}

// A line of report text: wrapped, continuation lines indented two more than the line itself.
export function wrapLine(line: string): string[] {
  const lead = /^\s*/.exec(line)?.[0] ?? '';
  return wrap(line.slice(lead.length), `${lead}  `, lead);
}

// Shell words, keeping quoted strings whole.
export function shellWords(cmd: string): string[] {
  return cmd.match(/(?:[^\s'"]+|'[^']*'|"(?:\\.|[^"\\])*")+/g) ?? [cmd];
}

// "  [host]# cmd"; a command too long for the line continues with " \" so it can still be pasted.
export function commandLines(node: string, cmd: string, indent = '  '): string[] {
  const head = `${indent}${paint('dim', `[${node}]#`)} `;
  const headWidth = stringWidth(head);
  const max = width();
  if (headWidth + stringWidth(cmd) <= max) return [`${head}${paint('bold', cmd)}`];
  const pad = ' '.repeat(headWidth + 2);
  const lines: string[] = [];
  let cur = '';
  for (const word of shellWords(cmd)) {
    const room = max - (lines.length ? pad.length : headWidth) - 2;
    if (cur && stringWidth(cur) + 1 + stringWidth(word) > room) {
      lines.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  lines.push(cur);
  return lines.map((l, i) => `${i === 0 ? head : pad}${paint('bold', l)}${i < lines.length - 1 ? ' \\' : ''}`);
}

// Writes lines to the terminal.
export function say(...lines: string[]): void {
  process.stdout.write(lines.map((l) => `${l}\n`).join(''));
}
