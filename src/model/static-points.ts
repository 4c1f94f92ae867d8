// Capture points whose interface nothing can ever create: no command of the lab names it and the
// baseline has none, so the check could only fail. Known before anything is built: a lab error (exit 2).
import { BASELINE_IFACES } from './topology.js';

// Problems, each naming the field, for points on interfaces that no command line (run or arrange), look,
// or declared link of the topology mentions.
export function unreachablePoints(steps: unknown[], topology?: unknown): string[] {
  const part = (s: unknown, k: string): unknown => (s as Record<string, unknown>)[k];
  const text =
    JSON.stringify(steps.map((s) => [part(s, 'run'), part(s, 'arrange')])) +
    JSON.stringify(
      steps.map((s) => [
        (s as { before?: { looks?: unknown } }).before?.looks,
        (s as { check?: { looks?: unknown } }).check?.looks,
      ]),
    ) +
    JSON.stringify(topology ?? null);
  const problems: string[] = [];
  steps.forEach((s, i) => {
    for (const phase of ['before', 'check'] as const) {
      const points = (s as Record<string, { points?: unknown }>)[phase]?.points;
      if (!Array.isArray(points)) continue;
      points.forEach((pt, j) => {
        if (typeof pt !== 'string') return;
        const [node = '', iface = ''] = pt.split(':');
        const baseline = BASELINE_IFACES[node] ?? ['lo'];
        const named = new RegExp(
          `(^|[^A-Za-z0-9_.-])${iface.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_-])`,
        ).test(text);
        if (!baseline.includes(iface) && !named)
          problems.push(
            `steps[${i}].${phase}.points[${j}]: ${JSON.stringify(pt)}: no command of the lab creates an interface ${iface}, and ${node} has none at the start (it has ${baseline.join(', ')})`,
          );
      });
    }
  });
  return problems;
}
