// How many sandboxes this machine runs at once, for a front end that opens many (a class in `lab serve`).
import { capacity } from '../sandbox/slots.js';

// The machine's bound on live sandboxes (LAB_MAX_SANDBOXES, else 6 per CPU within memory): a start past it
// waits for a free slot.
export function sandboxCapacity(): number {
  return capacity();
}
