// The reports' story of a run: a step walked again (a retry, or back to it) is told once, by its last attempt.
import test from 'ava';
import { LabEvents, type StepInfo } from '../../src/engine/events.js';
import { gatherStory } from '../../src/ui/report/run-story.js';

const info: StepInfo = {
  id: 'forward',
  title: 'Forward',
  explain: '',
  index: 0,
  total: 1,
  commands: [],
  arrange: [],
  points: [],
};

test('a step started twice is one story step, with the second attempt’s status', (t) => {
  const events = new LabEvents();
  const story = gatherStory(events, () => undefined);
  events.emit({ type: 'step-start', step: info, skipped: false });
  events.emit({ type: 'step-end', stepId: 'forward', status: 'failed', durationMs: 1 });
  events.emit({ type: 'step-start', step: info, skipped: false });
  events.emit({ type: 'step-end', stepId: 'forward', status: 'passed', durationMs: 2 });
  t.is(story.run.length, 1);
  t.is(story.run[0]?.status, 'passed');
  t.is(story.run[0]?.durationMs, 2);
});
