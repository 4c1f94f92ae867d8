// What the command line may ask of sandboxes and the root filesystem outside a run
// (`lab ps`, `lab clean`, `lab rootfs`): front ends reach them through here, never the sandbox layer.
export { cleanSandboxes, type CleanReport } from '../sandbox/clean.js';
export {
  cacheStatus,
  collectOldBuilds,
  currentRecipe,
  ensureRootfs,
  replacedBuilds,
  rootfsPaths,
  verifyBuild,
  type OldBuilds,
} from '../sandbox/rootfs.js';
export type { BuildCheck } from '../sandbox/rootfs-manifest.js';
export { buildUsers, livePins, readMounts } from '../sandbox/rootfs-use.js';
export { formatAge, listSandboxes, type SandboxView } from '../sandbox/sandboxes.js';
export { stateDir } from '../sandbox/state.js';
