// Which listr2 renderer the task lists use, shared by a run's steps and a root filesystem build.

// Picks the renderer: interactive on a TTY, line by line when CI=true or not a TTY.
export function defaultRenderer(): 'default' | 'simple' {
  return process.stdout.isTTY && !process.env.CI ? 'default' : 'simple';
}
