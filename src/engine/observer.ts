// Command records become engine events; one place decides whether a command did what it should.
import type { CommandObserver } from '../sys/exec.js';
import type { LabEvents } from './events.js';

// A step command is ok when it succeeded, or failed where the lab says it fails; never when the
// sandbox reached one of its limits meanwhile (`limit`).
export function commandOk(exitCode: number | undefined, expectFail = false, limit?: string): boolean {
  if (limit) return false;
  return expectFail ? exitCode !== 0 : exitCode === 0;
}

export interface ObserverOptions {
  setup?: boolean; // sandbox building, not part of the lesson
  expectFail?: boolean;
  judged?: boolean; // false for probes and looks: their packets or output are judged, not their exit code
  check?: boolean; // a check's probe or look, not one of the step's commands
  shows?: boolean; // its output is the point (a command that only shows state): front ends print it
}

// Emits command-start, command-end and command-output for one step.
export function observerFor(events: LabEvents, stepId: string, o: ObserverOptions = {}): CommandObserver {
  const setup = Boolean(o.setup);
  const expectFail = Boolean(o.expectFail);
  return {
    start: (spec) =>
      events.emit({
        type: 'command-start',
        stepId,
        node: spec.node,
        command: spec.display,
        setup,
        ...(o.check ? { check: true } : {}),
      }),
    end: (record) => {
      const ok = (o.judged === false && !record.limit) || commandOk(record.exitCode, expectFail, record.limit);
      events.emit({
        type: 'command-end',
        stepId,
        record,
        expectFail,
        ok,
        setup,
        ...(o.check ? { check: true } : {}),
        ...(o.shows ? { shows: true } : {}),
      });
      if (record.output)
        events.emit({
          type: 'command-output',
          stepId,
          node: record.node,
          command: record.display,
          output: record.output,
        });
    },
  };
}
