// Validates what a lab declares for teaching: a step's prediction and the hints on its checks.
import { NEAR_FIELDS } from './matchers.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;
const q = (v: unknown): string => JSON.stringify(v) ?? String(v);

// A prediction: a question, two or more choices, the answer's index, and why.
export function validatePrediction(v: unknown, f: string, p: string[]): void {
  if (!isObj(v)) return void p.push(`${f}: must be { question, choices, answer, why }`);
  if (!str(v.question)) p.push(`${f}.question: must be a non-empty string`);
  const choices = Array.isArray(v.choices) ? v.choices : undefined;
  if (!choices || choices.length < 2 || !choices.every(str))
    p.push(`${f}.choices: must be two or more non-empty strings`);
  if (!Number.isInteger(v.answer) || (v.answer as number) < 0 || (choices && (v.answer as number) >= choices.length))
    p.push(`${f}.answer: ${q(v.answer)} must be the index of one of the choices (0..${(choices?.length ?? 1) - 1})`);
  if (!str(v.why)) p.push(`${f}.why: must say why, in a sentence`);
}

// Hints on an expectation or look: hint.failed / hint.notSeen / hint.near from src/lab.ts.
export function validateHints(v: unknown, f: string, p: string[], look = false): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) return void p.push(`${f}: must be an array of hints, e.g. [hint.notSeen('...')]`);
  v.forEach((h, i) => {
    const hf = `${f}[${i}]`;
    if (!isObj(h)) return void p.push(`${hf}: must be a hint, e.g. hint.notSeen('...')`);
    if (!str(h.text)) p.push(`${hf}.text: must be a non-empty string`);
    const kinds = look ? ['failed', 'read'] : ['failed', 'not-seen', 'near'];
    if (!kinds.includes(h.when as string)) p.push(`${hf}.when: ${q(h.when)} must be one of ${kinds.join(', ')}`);
    if (h.when === 'read' && look) {
      const r = h.read;
      let ok = isObj(r) && typeof r.source === 'string' && typeof r.flags === 'string';
      try {
        if (ok) new RegExp((r as { source: string }).source, (r as { flags: string }).flags);
      } catch {
        ok = false;
      }
      if (!ok) p.push(`${hf}.read: must be a regular expression, e.g. hint.read(/ip_forward = 0/, '...')`);
    }
    if (h.when === 'near' && !NEAR_FIELDS.includes(String(h.field).replace(/^(inner\.)+/, '')))
      p.push(
        `${hf}.field: ${q(h.field)} must be a matcher field (${NEAR_FIELDS.join(', ')}, or inner.<field> for a tunnel's carried packet)`,
      );
    if (h.seen !== undefined && typeof h.seen !== 'string') p.push(`${hf}.seen: must be a string`);
  });
}

// Plausible mistakes: each a non-empty list of commands run instead of the step's, and the hint (a RegExp) it must draw.
export function validateMistakes(v: unknown, f: string, p: string[], command: (c: unknown, cf: string) => void): void {
  if (!Array.isArray(v))
    return void p.push(`${f}: must be an array of mistakes, e.g. [{ run: [host('...')], hint: /port/ }]`);
  v.forEach((m, i) => {
    const mf = `${f}[${i}]`;
    if (!isObj(m)) return void p.push(`${mf}: must be { run: [commands], hint: /pattern/ }`);
    if (!Array.isArray(m.run) || m.run.length === 0)
      p.push(`${mf}.run: must be a non-empty array of commands, the wrong ones a student would type`);
    else m.run.forEach((c, j) => command(c, `${mf}.run[${j}]`));
    if (!(m.hint instanceof RegExp))
      p.push(`${mf}.hint: ${q(m.hint)} must be a RegExp matching the hint the check must give, e.g. /port/`);
    if (m.why !== undefined && !str(m.why)) p.push(`${mf}.why: must be a non-empty string`);
  });
}
