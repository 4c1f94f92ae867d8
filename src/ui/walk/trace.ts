// The packet's path (the engine traces it), as the walkthrough shows it.
import type { WalkContext } from './context.js';

// The lines of the trace of the step's first probe packet, asked of the driven session.
export async function traceLines(ctx: WalkContext, stepId: string): Promise<string[]> {
  return (await ctx.drive.trace(stepId)).lines;
}
