// Styled text for the demo's panes: lines as segments, cut to a width, then turned into blessed tags.
// Widths are terminal columns (string-width), not string lengths: a wide character takes two.
import stringWidth from 'string-width';
import { paint } from './palette.js';

export interface Seg {
  text: string;
  style?: string; // a blessed tag body ('green-fg', 'bold', 'red-fg}{bold') or HIGHLIGHT, painted for the terminal by palette.ts
}
export type Line = Seg[];

const graphemes = new Intl.Segmenter();

// Blessed's tag escaping: braces become {open}/{close}.
function escTags(s: string): string {
  return s.replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'));
}

// Visible width of a line, in columns.
export function lineWidth(l: Line): number {
  return l.reduce((n, s) => n + stringWidth(s.text), 0);
}

// The start of `text` that fits `cols` columns (a wide character that would straddle the edge is left out).
function cutText(text: string, cols: number): { text: string; width: number } {
  let out = '';
  let width = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (width + w > cols) break;
    out += segment;
    width += w;
  }
  return { text: out, width };
}

// The line cut to `width` columns, segments and styles kept.
export function cutLine(l: Line, width: number): Line {
  let left = Math.max(0, width);
  const out: Line = [];
  for (const s of l) {
    if (left <= 0) break;
    const c = cutText(s.text, left);
    left -= c.width;
    if (c.text) out.push({ ...s, text: c.text });
  }
  return out;
}

// The line as it is when it fits, else cut one column short and ended with "…", so a cut shows.
export function ellipsize(l: Line, width: number): Line {
  if (lineWidth(l) <= width) return l;
  if (width <= 0) return [];
  return [...cutLine(l, width - 1), { text: '…', style: 'gray-fg' }];
}

// The line as tagged text, cut to `width` columns.
export function renderLine(l: Line, width: number): string {
  return cutLine(l, width)
    .map((s) => {
      const tags = s.style ? paint(s.style) : [];
      return tags.length ? `{${tags.join('}{')}}${escTags(s.text)}{/}` : escTags(s.text);
    })
    .join('');
}

// A plain line.
export const plain = (text: string, style?: string): Line => [{ text, ...(style ? { style } : {}) }];
