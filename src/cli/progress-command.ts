// `lab progress` and `lab reset LAB`: what the walkthrough saved per lab, and forgetting it.
import { EXIT, type ExitCode } from '../errors.js';
import { labIds, loadLab } from '../engine/loader.js';
import { allProgress, progressDir, resetProgress } from '../ui/walk/progress-store.js';

// One line per lab: steps done, predictions right, where a resumed run starts.
export async function progressCommand(o: { json?: boolean }): Promise<ExitCode> {
  const saved = new Map(allProgress().map((p) => [p.lab, p]));
  const rows = [];
  for (const id of labIds()) {
    const steps = (await loadLab(id)).def.steps;
    const p = saved.get(id);
    const done = steps.filter((s) => p?.steps[s.id]?.done).length;
    const preds = Object.values(p?.predictions ?? {});
    rows.push({
      lab: id,
      steps: steps.length,
      done,
      predictions: preds.length,
      right: preds.filter((x) => x.right).length,
      next: p && p.reached < steps.length ? steps[p.reached]?.id : undefined,
      updatedAt: p?.updatedAt,
    });
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ dir: progressDir(), labs: rows }, null, 2)}\n`);
    return EXIT.pass;
  }
  for (const r of rows) {
    const where = r.updatedAt ? (r.next ? `   resume at ${r.next}` : '   finished') : '   not started';
    process.stdout.write(
      `${r.lab.padEnd(20)} steps done ${r.done}/${r.steps}   predictions right ${r.right}/${r.predictions}${where}\n`,
    );
  }
  process.stdout.write(`(saved in ${progressDir()})\n`);
  return EXIT.pass;
}

// Forgets one lab's progress (by id or prefix, as `lab run` takes it).
export async function resetCommand(ref: string): Promise<ExitCode> {
  const id = (await loadLab(ref)).def.id;
  process.stdout.write(resetProgress(id) ? `forgot the progress of ${id}\n` : `no progress saved for ${id}\n`);
  return EXIT.pass;
}
