// Progress of a root filesystem build, as a listr2 task (live on a TTY, plain lines otherwise).
import { Listr } from 'listr2';
import { defaultRenderer } from './renderer.js';

// Runs `work` under one task whose output follows the progress lines it reports.
export async function withBuildProgress<T>(
  title: string,
  work: (progress: (line: string) => void) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  const list = new Listr(
    [
      {
        title,
        task: async (_ctx, task) => void (result = await work((line) => (task.output = line))),
        rendererOptions: { persistentOutput: true, outputBar: 3 },
      },
    ],
    {
      renderer: defaultRenderer(),
      exitOnError: true,
      registerSignalListeners: false,
      rendererOptions: { collapseErrors: false },
    },
  );
  await list.run();
  return result as T;
}
