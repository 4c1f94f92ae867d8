// Styled text for the demo's panes: lines as segments, cut to a width, then turned into blessed tags.

export interface Seg {
  text: string;
  style?: string; // a blessed tag body: 'green-fg', 'black-fg}{yellow-bg', 'bold' ...
}
export type Line = Seg[];

// Blessed's tag escaping: braces become {open}/{close}.
function escTags(s: string): string {
  return s.replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

// Visible length of a line.
export function lineWidth(l: Line): number {
  return l.reduce((n, s) => n + [...s.text].length, 0);
}

// The line as tagged text, cut to `width` visible characters.
export function renderLine(l: Line, width: number): string {
  let left = Math.max(0, width);
  let out = '';
  for (const s of l) {
    if (left <= 0) break;
    const chars = [...s.text];
    const text = chars.slice(0, left).join('');
    left -= Math.min(chars.length, left);
    out += s.style ? `{${s.style}}${escTags(text)}{/}` : escTags(text);
  }
  return out;
}

// A plain line.
export const plain = (text: string, style?: string): Line => [{ text, ...(style ? { style } : {}) }];
