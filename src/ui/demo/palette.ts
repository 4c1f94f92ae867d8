// What the demo's styles become on this terminal. Blessed reads no ncurses-6 terminfo (tmux-256color,
// screen-256color) and falls back to 8 colours, where it turns gray into black: invisible on a dark
// background. So gray is only drawn where the terminal has at least 16 colours (else the default
// colour), text is never black or white (each vanishes on one background), and NO_COLOR keeps only
// bold, underline and inverse.

export interface Palette {
  colours: number; // colours the terminal draws
  noColor: boolean; // NO_COLOR set (any non-empty value)
}

let palette: Palette = { colours: 256, noColor: noColorWanted() };

// NO_COLOR's convention: set and not empty.
export function noColorWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.NO_COLOR ?? '') !== '';
}

// Colours a terminal really has: blessed's count, unless its TERM names 256 colours blessed could not read.
export function terminalColours(
  blessedCount: number,
  term = process.env.TERM ?? '',
  colorterm = process.env.COLORTERM ?? '',
): number {
  if (/256col/.test(term) || /truecolor|24bit/.test(colorterm)) return Math.max(blessedCount, 256);
  return blessedCount;
}

// Sets the palette the view's lines are painted with.
export function setPalette(p: Partial<Palette>): void {
  palette = { ...palette, ...p };
}

// The palette in use.
export function currentPalette(): Palette {
  return palette;
}

// The changed field of a packet: explicit colours on both sides (readable on any background), or inverse without colour.
export const HIGHLIGHT = 'highlight';

// One style (blessed tag bodies joined by "}{", or HIGHLIGHT) as the tag bodies to draw; [] for the default.
export function paint(style: string, p: Palette = palette): string[] {
  if (style === HIGHLIGHT) return p.noColor ? ['inverse', 'bold'] : ['white-fg', 'blue-bg', 'bold'];
  return style.split('}{').flatMap((s) => {
    if (!s) return [];
    if (!/-(fg|bg)$/.test(s)) return [s];
    if (p.noColor) return [];
    if (/^(black|white|light-?black|bright-?black)-fg$/.test(s)) return [];
    if (/^gr[ae]y-fg$/.test(s)) return p.colours >= 16 ? [s] : [];
    return [s];
  });
}

// Blessed's own styles for a box's border and label under the palette.
export function boxStyle(p: Palette = palette): { border: { fg?: string }; label: { bold: boolean } } {
  return { border: !p.noColor && p.colours >= 16 ? { fg: 'gray' } : {}, label: { bold: true } };
}
