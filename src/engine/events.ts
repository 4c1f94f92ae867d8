// Typed events: the engine's only output. Front ends and reporters subscribe; none of them steer.
import { EventEmitter } from 'node:events';
import type { Packet } from '../capture/types.js';
import type { CheckResult } from '../check/types.js';
import type { CommandRecord } from '../sys/exec.js';
import type { NodeFacts } from './links.js';
import type { LabResult, StepStatus } from './result.js';
import type { TraceResult } from './trace-types.js';

export interface StepInfo {
  id: string;
  title: string;
  explain: string;
  index: number;
  total: number;
  commands: { node: string; cmd: string; expectFail: boolean }[];
  arrange: { node: string; cmd: string }[]; // the step's setup: runs even when its commands are skipped
  points: string[];
}

export type LabEvent =
  | {
      type: 'lab-start';
      lab: { id: string; title: string; summary: string; file: string };
      steps: StepInfo[];
      options: { skip: string[]; until?: string; keep: boolean };
    }
  | { type: 'rootfs-progress'; line: string }
  | { type: 'sandbox-waiting'; line: string } // the machine runs its limit of sandboxes: this run waits for a slot
  | { type: 'sandbox-slot' } // the run that waited has its slot: the sandbox is being built
  | { type: 'rootfs-ready'; hash: string; path: string; built: boolean; sizeBytes: number; buildMs: number }
  | { type: 'sandbox-ready'; runId: string; nodes: string[]; durationMs: number }
  | { type: 'step-start'; step: StepInfo; skipped: boolean }
  | { type: 'command-start'; stepId: string; node: string; command: string; setup: boolean; check?: boolean }
  | { type: 'command-output'; stepId: string; node: string; command: string; output: string }
  | {
      type: 'command-end';
      stepId: string;
      record: CommandRecord;
      expectFail: boolean;
      ok: boolean;
      setup: boolean;
      check?: boolean;
      shows?: boolean;
    } // check: a probe or look; shows: its output is the point (a command that shows state)
  | { type: 'capture-ready'; stepId: string; point: string; ready: boolean; error?: string; latencyMs: number }
  | { type: 'packet'; point: string; packet: Packet } // live, for as long as the session is open
  | { type: 'traffic'; stepId: string; on: boolean }
  | { type: 'links'; stepId: string; nodes: NodeFacts[] } // the wiring as it is now (interfaces, addresses, veth peers)
  | { type: 'container'; event: 'started' | 'stopped' | 'address'; container: string; addresses: string[] } // also in the sandbox's /run/lab/containers.events
  | { type: 'check-result'; stepId: string; phase: 'before' | 'after'; result: CheckResult }
  | { type: 'trace'; stepId: string; trace: TraceResult } // the packet's path (--trace, or asked by a front end)
  | { type: 'step-end'; stepId: string; status: StepStatus; durationMs: number }
  | { type: 'teardown-end'; kept: boolean; ok: boolean; leftovers: string[]; durationMs: number; shell?: string }
  | { type: 'lab-end'; result: LabResult };

export type LabEventType = LabEvent['type'];
export type EventOf<T extends LabEventType> = Extract<LabEvent, { type: T }>;

// A tiny typed wrapper over EventEmitter: emit(event), on(type, handler), onAny(handler).
export class LabEvents {
  private readonly ee = new EventEmitter();

  emit(event: LabEvent): void {
    this.ee.emit(event.type, event);
    this.ee.emit('*', event);
  }

  on<T extends LabEventType>(type: T, handler: (e: EventOf<T>) => void): this {
    this.ee.on(type, handler as (e: LabEvent) => void);
    return this;
  }

  onAny(handler: (e: LabEvent) => void): this {
    this.ee.on('*', handler);
    return this;
  }
}
