// The product's node tools (nat66, lk, dnsd) on PATH in every node: small sh wrappers that exec node on
// the built tool. The keeper binds node and the tools' folder into its /run/lab (from descriptors it
// opened before its tmpfs mounts, so any checkout path serves); host, wan and plain nodes run them
// there, and a container gets them bound read-only into its own root.
import { fileURLToPath } from 'node:url';

export const TOOLS = ['nat66', 'lk', 'dnsd'] as const;
export const TOOL_BIN = '/run/lab/bin'; // inside the keeper: on PATH of host, wan and plain nodes
export const EVENTS_FILE = '/run/lab/containers.events'; // container events, one line each, for watchers
export const TOOLS_DIR = fileURLToPath(new URL('../tools/', import.meta.url)).replace(/\/$/, ''); // the checkout's
const IN_KEEPER = '/run/lab'; // node, tools/ and a package.json saying they are ES modules (see keeper.ts)
const IN_CONTAINER = '/opt/lab'; // node, tools and a package.json saying they are ES modules

const wrapper = (node: string, dir: string, tool: string): string => `#!/bin/sh\nexec ${node} ${dir}/${tool}.js "$@"\n`;

// Shell lines (run in the keeper) that write one wrapper per tool into `binDir`.
function wrappers(binDir: string, node: string, dir: string): string[] {
  const files = TOOLS.map((t) => `${binDir}/${t}`);
  // printf is the shell's own: one process for mkdir and one for chmod, whatever the number of tools.
  return [
    `mkdir -p ${binDir}`,
    ...TOOLS.map((t, i) => `printf '%s' ${shq(wrapper(node, dir, t))} > ${files[i]}`),
    `chmod 755 ${files.join(' ')}`,
  ];
}

// A shell word that stands for exactly `s`.
const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

// The keeper's wrappers for nodes that run on the real filesystem.
export function hostToolsScript(): string {
  return ['set -e', ...wrappers(TOOL_BIN, `${IN_KEEPER}/node`, `${IN_KEEPER}/tools`), `: >> ${EVENTS_FILE}`].join('\n');
}

// Binds node and the tools read-only into a container's root and puts wrappers in its /usr/local/bin.
export function containerToolsScript(root: string): string {
  const d = `${root}${IN_CONTAINER}`;
  return [
    'set -e',
    `mkdir -p ${d}/tools && : > ${d}/node`,
    `printf '{"type":"module"}\\n' > ${d}/package.json`,
    // util-linux binds, then remounts read-only; the keeper's copies, whatever the checkout's path.
    `mount -o bind,ro ${IN_KEEPER}/node ${d}/node && mount -o bind,ro ${IN_KEEPER}/tools ${d}/tools`,
    ...wrappers(`${root}/usr/local/bin`, `${IN_CONTAINER}/node`, `${IN_CONTAINER}/tools`),
  ].join('\n');
}

// PATH of host, wan and plain nodes: the tools first, then the runner's own.
export function nodePath(outer = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): string {
  return `${TOOL_BIN}:${outer}`;
}
