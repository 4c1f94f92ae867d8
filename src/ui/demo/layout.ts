// Where the demo's panes go for a terminal size: wide terminals put the steps beside the topology,
// narrow ones beside the commands; packet panes share the bottom; the help line is the last row.

export interface Rect {
  top: number;
  left: number;
  width: number;
  height: number;
}

export interface DemoLayout {
  topology: Rect;
  steps: Rect;
  commands: Rect;
  packets: Rect[];
  help: Rect;
}

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

// Splits `width` columns from `left` into n nearly equal parts.
function split(top: number, left: number, width: number, height: number, n: number): Rect[] {
  const k = Math.max(1, n);
  return Array.from({ length: k }, (_, i) => {
    const l = left + Math.floor((i * width) / k);
    const r = left + Math.floor(((i + 1) * width) / k);
    return { top, left: l, width: r - l, height };
  });
}

// The panes for a cols x rows terminal; topoRows: lines the drawing needs; points: packet panes.
export function demoLayout(cols: number, rows: number, topoRows: number, nSteps: number, points: number): DemoLayout {
  const avail = Math.max(rows - 1, 12);
  const help = { top: rows - 1, left: 0, width: cols, height: 1 };
  if (cols >= 110) {
    const topH = clamp(Math.max(topoRows, nSteps) + 2, 5, Math.floor(avail * 0.4));
    const stepsW = Math.min(46, Math.floor(cols * 0.32));
    const rest = avail - topH;
    const cmdH = Math.max(5, Math.floor(rest * 0.4));
    return {
      topology: { top: 0, left: 0, width: cols - stepsW, height: topH },
      steps: { top: 0, left: cols - stepsW, width: stepsW, height: topH },
      commands: { top: topH, left: 0, width: cols, height: cmdH },
      packets: split(topH + cmdH, 0, cols, avail - topH - cmdH, points),
      help,
    };
  }
  const topH = clamp(topoRows + 2, 4, Math.floor(avail * 0.35));
  const midH = Math.max(4, Math.min(clamp(nSteps + 2, 5, 7), avail - topH - 6));
  const stepsW = clamp(Math.floor(cols * 0.3), 18, 30);
  return {
    topology: { top: 0, left: 0, width: cols, height: topH },
    steps: { top: topH, left: 0, width: stepsW, height: midH },
    commands: { top: topH, left: stepsW, width: cols - stepsW, height: midH },
    packets: split(topH + midH, 0, cols, avail - topH - midH, points),
    help,
  };
}
