// The class's results for a spreadsheet (CSV, one row per student and step) or a program (JSON).
import type { ServeContext } from '../context.js';

// A CSV field, quoted when it must be; a leading = + - @ is defused (a spreadsheet would run it).
export function csvField(v: string | number | boolean | null | undefined): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function boardCsv(ctx: ServeContext): string {
  const rows: (string | number | boolean | null | undefined)[][] = [
    ['student', 'name', 'lab', 'current_step', 'step', 'passed', 'prediction', 'prediction_right', 'last_active'],
  ];
  for (const s of ctx.classView()) {
    if (!s.steps.length) rows.push([s.id, s.name, s.lab, s.step, null, null, null, null, s.lastActive]);
    for (const st of s.steps)
      rows.push([
        s.id,
        s.name,
        s.lab,
        s.step,
        st.id,
        st.passed,
        st.prediction?.choice,
        st.prediction?.right,
        s.lastActive,
      ]);
  }
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export function boardJson(ctx: ServeContext): string {
  return `${JSON.stringify({ exported: new Date().toISOString(), students: ctx.classView() }, null, 2)}\n`;
}
