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

// The line broken into rows of at most `width` columns, between words where it can, later rows indented
// by `indent` columns; styles kept. A word longer than a row is broken where the row ends.
export function wrapLine(l: Line, width: number, indent = 2): Line[] {
  const cells: { ch: string; style?: string; w: number }[] = [];
  for (const s of l)
    for (const { segment } of graphemes.segment(s.text))
      cells.push({ ch: segment, w: stringWidth(segment), ...(s.style ? { style: s.style } : {}) });
  const total = cells.reduce((n, c) => n + c.w, 0);
  if (width <= 0) return [];
  if (total <= width) return [l];
  const pad = Math.min(indent, Math.max(0, width - 8));
  const rows: Line[] = [];
  let i = 0;
  while (i < cells.length) {
    const room = rows.length ? width - pad : width;
    let end = i;
    let used = 0;
    while (end < cells.length && used + (cells[end]?.w ?? 0) <= room) used += cells[end++]?.w ?? 0;
    if (end < cells.length) {
      // Back to the last space in the row, when there is one past its start.
      let sp = end;
      while (sp > i && cells[sp]?.ch !== ' ') sp--;
      if (sp > i) end = sp;
      if (end === i) end = i + 1;
    }
    const row: Line = rows.length && pad ? [{ text: ' '.repeat(pad) }] : [];
    for (const c of cells.slice(i, end)) {
      const last = row[row.length - 1];
      if (last && last.style === c.style && row.length > (rows.length && pad ? 1 : 0)) last.text += c.ch;
      else row.push({ text: c.ch, ...(c.style ? { style: c.style } : {}) });
    }
    rows.push(row);
    i = end;
    while (cells[i]?.ch === ' ') i++; // the space a row broke at is not carried over
  }
  return rows;
}
