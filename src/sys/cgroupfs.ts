// Where the machine's cgroup controllers are: cgroup v1 (one hierarchy per controller, e.g. Debian
// with a hybrid setup) or v2 (one unified hierarchy, a default Debian bookworm or trixie), read from
// the mount table and the runner's own cgroups.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export type Controller = 'pids' | 'memory' | 'cpu';
export const CONTROLLERS: readonly Controller[] = ['pids', 'memory', 'cpu'];

// One controller's home: its hierarchy's version, the folder where new groups for the runner go (v1:
// under the runner's own group, so whatever limits the runner has still hold; v2: the hierarchy's root,
// the only place a group with processes may have children with controllers), and the mount point.
export interface ControllerPlace {
  controller: Controller;
  version: 1 | 2;
  mount: string;
  parent: string;
}

// What the discovery reads; tests give a fake tree.
export interface CgroupView {
  mountinfo: string; // /proc/self/mountinfo
  selfCgroup: string; // /proc/self/cgroup
  read: (path: string) => string | undefined; // a file's text, or undefined when it cannot be read
}

// The running machine's view.
export function machineView(): CgroupView {
  return {
    mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'),
    selfCgroup: readFileSync('/proc/self/cgroup', 'utf8'),
    read: readText,
  };
}

// Each usable controller's place; a controller absent from the map is not usable (not mounted, or v2
// without it in the root's cgroup.subtree_control).
export function controllerPlaces(view: CgroupView): Map<Controller, ControllerPlace> {
  const own = ownCgroups(view.selfCgroup);
  const places = new Map<Controller, ControllerPlace>();
  for (const m of mounts(view.mountinfo)) {
    if (m.type === 'cgroup') {
      for (const c of CONTROLLERS) {
        if (places.has(c) || !m.options.split(',').includes(c)) continue;
        const path = own.v1.get(c) ?? '/';
        const inside = path.startsWith(m.root) ? relative(m.root, path) : '';
        places.set(c, { controller: c, version: 1, mount: m.point, parent: join(m.point, inside) });
      }
    } else if (m.type === 'cgroup2' && m.root === '/') {
      const enabled = (view.read(join(m.point, 'cgroup.subtree_control')) ?? '').split(/\s+/);
      for (const c of CONTROLLERS)
        if (!places.has(c) && enabled.includes(c))
          places.set(c, { controller: c, version: 2, mount: m.point, parent: m.point });
    }
  }
  return places;
}

// The cgroup2 mounts, and whether each lists a controller as available (to say what to enable).
export function unifiedMounts(view: CgroupView): { point: string; available: string[] }[] {
  return mounts(view.mountinfo)
    .filter((m) => m.type === 'cgroup2' && m.root === '/')
    .map((m) => ({
      point: m.point,
      available: (view.read(join(m.point, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean),
    }));
}

// Folders named like a sandbox's group (lab-NN-xxxxxxxx) anywhere in the machine's cgroup hierarchies.
export function labCgroups(pattern = /^lab-\d\d-[0-9a-f]{8}$/, depth = 6): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const walk = (dir: string, left: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    } catch {
      return;
    }
    for (const n of names) {
      if (pattern.test(n)) found.push(join(dir, n));
      else if (left > 0) walk(join(dir, n), left - 1);
    }
  };
  for (const m of mounts(readText('/proc/self/mountinfo') ?? '')) {
    if ((m.type !== 'cgroup' && m.type !== 'cgroup2') || seen.has(m.point)) continue;
    seen.add(m.point);
    walk(m.point, depth);
  }
  return found.sort();
}

interface Mount {
  root: string;
  point: string;
  type: string;
  options: string; // super options (v1: the controllers)
}

// The cgroup mounts of a mount table.
function mounts(mountinfo: string): Mount[] {
  const out: Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const [type = '', , options = ''] = right.split(' ');
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    out.push({ root: unescape(f[3] ?? '/'), point: unescape(f[4] ?? ''), type, options });
  }
  return out;
}

// The runner's own v1 group per controller (the v2 one is not needed: new groups go at the root).
function ownCgroups(selfCgroup: string): { v1: Map<string, string> } {
  const v1 = new Map<string, string>();
  for (const line of selfCgroup.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m?.[1]) continue;
    for (const c of m[1].split(',')) v1.set(c, m[2] ?? '/');
  }
  return { v1 };
}

// Octal escapes of the mount table (a space is \040).
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

// A file's text, or undefined.
export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
