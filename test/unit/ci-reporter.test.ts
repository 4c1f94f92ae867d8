// The listr task list tells what the plain lines tell before the sandbox is up: a run waiting for a slot.
import test from 'ava';
import { LabEvents, type StepInfo } from '../../src/engine/events.js';
import { attachCiReporter } from '../../src/ui/ci/ci-reporter.js';

const step: StepInfo = {
  id: 'one',
  title: 'The only step',
  explain: 'It explains.',
  index: 0,
  total: 1,
  commands: [],
  arrange: [],
  points: [],
};

// Everything the reporter writes to stdout while `drive` emits events, until it is done.
async function rendered(drive: (events: LabEvents) => void): Promise<string> {
  const events = new LabEvents();
  const reporter = attachCiReporter(events, { renderer: 'simple' });
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    drive(events);
    await reporter.done();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test.serial('a run that waits for a sandbox slot says so in the task list, then goes on', async (t) => {
  const out = await rendered((events) => {
    events.emit({
      type: 'lab-start',
      lab: { id: '00-x', title: 'A lab', summary: '', file: 'labs/00-x.ts' },
      steps: [step],
      options: { skip: [], keep: false },
    });
    events.emit({
      type: 'sandbox-waiting',
      line: 'waiting for a sandbox slot: this machine runs at most 12 sandboxes at once (LAB_MAX_SANDBOXES)',
    });
    events.emit({ type: 'sandbox-ready', runId: '00-abcd', nodes: ['host', 'wan'], durationMs: 12 });
    events.emit({
      type: 'lab-end',
      result: { lab: '00-x', file: 'labs/00-x.ts', status: 'passed', steps: [], durationMs: 20 },
    });
  });
  const waiting = out.indexOf('waiting for a sandbox slot: this machine runs at most 12 sandboxes');
  t.true(waiting >= 0, out);
  t.true(out.indexOf('sandbox 00-abcd ready') > waiting, out);
});
