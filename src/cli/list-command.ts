// `lab list`: every lab with its steps; a broken lab (it does not compile, throws, or is invalid) is listed as broken.
import { toLabError } from '../errors.js';
import { labIds, loadLab, probeLabs, resolveLab } from '../engine/loader.js';

// Prints the labs as lines or JSON.
export async function listCommand(o: { json?: boolean }): Promise<void> {
  const labs: { id: string; title?: string; steps?: string[]; broken?: string }[] = [];
  const ids = labIds();
  // Every lab's top-level code is run at once in a worker, with a bound: one that never returns is marked.
  const probed = probeLabs(ids.map((id) => resolveLab(id)));
  for (const id of ids) {
    try {
      const l = await loadLab(id, undefined, probed.get(resolveLab(id)));
      labs.push({ id, title: l.def.title, steps: l.def.steps.map((s) => s.id) });
    } catch (err) {
      labs.push({ id, broken: toLabError(err).message });
    }
  }
  if (o.json) process.stdout.write(`${JSON.stringify(labs, null, 2)}\n`);
  else
    for (const l of labs)
      process.stdout.write(
        l.broken
          ? `${l.id.padEnd(20)} BROKEN: ${l.broken}\n`
          : `${l.id.padEnd(20)} ${l.title}\n${' '.repeat(21)}steps: ${(l.steps ?? []).join(', ')}\n`,
      );
}
