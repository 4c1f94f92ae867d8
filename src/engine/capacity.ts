// How many sandboxes this machine runs at once, and the memory left for more, for a front end that opens
// many (a class in `lab serve`).
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { capacity } from '../sandbox/slots.js';

// The machine's bound on live sandboxes (LAB_MAX_SANDBOXES, else 6 per CPU within memory): a start past it
// waits for a free slot.
export function sandboxCapacity(): number {
  return capacity();
}

// The memory the kernel can hand out without swapping (MemAvailable), else the free memory.
export function memAvailable(): number {
  try {
    const kib = /^MemAvailable:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
    if (kib) return Number(kib) * 1024;
  } catch {
    // not Linux's /proc
  }
  return freemem();
}
