// The namespaces of one sandbox as files the runner holds open: opened when the sandbox was built
// (before anything ran in its nodes) or, for another process (`lab shell`), opened again without
// following a link and checked against what the build recorded in the journal. Every way in (enter.ts)
// names these open files, never a path inside the sandbox, which its root could replace.
import { closeSync, openSync, constants as fsc } from 'node:fs';
import { EnvironmentError } from '../errors.js';
import {
  checkNamespace,
  closeAll,
  fdPath,
  fileId,
  NsRefused,
  openBeneath,
  openNamespace,
  O_PATH,
  type NsKind,
} from '../sys/ns-files.js';

export type { NsKind } from '../sys/ns-files.js';
export type NsIds = Partial<Record<NsKind, string>>; // kind -> "dev:ino"

// What a sandbox's journal entry records of its namespaces.
export interface NsRecord {
  keeper: NsIds;
  nodes: Record<string, NsIds>;
}

// The keeper's own namespaces (it has no cgroup namespace of its own).
export const KEEPER_KINDS: readonly NsKind[] = ['user', 'mnt', 'pid', 'uts', 'ipc', 'net'];
// A container's namespaces: all of them are its own.
export const CONTAINER_KINDS: readonly NsKind[] = ['user', 'mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup'];
// Where the baseline pins each plain node's own UTS namespace (its hostname), in the keeper's /run.
export const UTS_DIR = '/run/lab/uts';
// Where the keeper's /run pins a node's own namespace of each kind, as /run/netns/NODE.
export const PINS: Partial<Record<NsKind, string>> = { net: '/run/netns', uts: UTS_DIR };

export class NsHandles {
  private readonly keeperFds = new Map<NsKind, number>();
  private readonly nodeFds = new Map<string, Map<NsKind, number>>();
  private readonly rootFds = new Map<string, number>();

  // `expected`: the journal's record (a later process); none while the runner builds the sandbox.
  constructor(
    readonly runId: string,
    private readonly initPid: number,
    private readonly expected?: NsRecord,
  ) {}

  // The keeper's namespaces, through its PID 1 (a kernel-made path; checked against the record).
  openKeeper(): void {
    for (const kind of KEEPER_KINDS) {
      if (this.keeperFds.has(kind)) continue;
      this.keeperFds.set(
        kind,
        this.guard('the sandbox', () => openNamespace(`/proc/${this.initPid}/ns/${kind}`, this.want('', kind))),
      );
    }
  }

  // A node's namespace of `kind` pinned in the keeper's /run, opened with no link followed.
  openPin(node: string, kind: NsKind): void {
    const dir = PINS[kind];
    if (!dir) return;
    const where = `${dir}/${node}`;
    const fd = this.guard(node, () =>
      checkNamespace(openBeneath(`/proc/${this.initPid}/root`, where), this.want(node, kind), where),
    );
    this.set(node, kind, fd);
  }

  // A running container's namespaces and root, from its PID 1; it must live in the sandbox's user namespace.
  openContainer(node: string, pid: number): void {
    this.dropContainer(node, true);
    const userns = this.want('', 'user') ?? this.id(this.keeperFds.get('user'));
    for (const kind of CONTAINER_KINDS) {
      const want = kind === 'user' ? userns : this.expected ? this.want(node, kind) : undefined;
      this.set(
        node,
        kind,
        this.guard(node, () => openNamespace(`/proc/${pid}/ns/${kind}`, want)),
      );
    }
    const root = this.guard(node, () => {
      try {
        return openSync(`/proc/${pid}/root`, O_PATH | fsc.O_DIRECTORY);
      } catch {
        throw new NsRefused(`the root of its PID 1 (${pid}) cannot be opened`);
      }
    });
    this.rootFds.set(node, root);
    // The process that had that pid when the root was opened is still the container's.
    this.guard(node, () =>
      closeSync(openNamespace(`/proc/${pid}/ns/mnt`, this.id(this.nodeFds.get(node)?.get('mnt')))),
    );
  }

  // A stopped container: only its network namespace (pinned, it stays) is kept.
  dropContainer(node: string, all = false): void {
    const fds = this.nodeFds.get(node);
    for (const [kind, fd] of fds ?? []) {
      if (all || kind !== 'net') {
        closeAll([fd]);
        fds?.delete(kind);
      }
    }
    closeAll([this.rootFds.get(node) ?? -1]);
    this.rootFds.delete(node);
  }

  // The path nsenter opens for the keeper's namespace of `kind`.
  keeper(kind: NsKind): string {
    const fd = this.keeperFds.get(kind);
    if (fd === undefined) throw this.refused('the sandbox', `its ${kind} namespace is not open`);
    return fdPath(fd);
  }

  // The path for a node's own namespace of `kind`, if it has one.
  node(node: string, kind: NsKind): string | undefined {
    const fd = this.nodeFds.get(node)?.get(kind);
    return fd === undefined ? undefined : fdPath(fd);
  }

  // The path of a running container's root folder.
  root(node: string): string | undefined {
    const fd = this.rootFds.get(node);
    return fd === undefined ? undefined : fdPath(fd);
  }

  // What the journal records: every namespace held, by its device and inode.
  record(): NsRecord {
    const ids = (m: Map<NsKind, number> | undefined): NsIds =>
      Object.fromEntries([...(m ?? [])].map(([k, fd]) => [k, this.id(fd)]));
    return { keeper: ids(this.keeperFds), nodes: Object.fromEntries([...this.nodeFds].map(([n, m]) => [n, ids(m)])) };
  }

  // Closes every file held: the namespaces are then the sandbox's alone, and go with it.
  close(): void {
    closeAll([
      ...this.keeperFds.values(),
      ...[...this.nodeFds.values()].flatMap((m) => [...m.values()]),
      ...this.rootFds.values(),
    ]);
    this.keeperFds.clear();
    this.nodeFds.clear();
    this.rootFds.clear();
  }

  private set(node: string, kind: NsKind, fd: number): void {
    const m = this.nodeFds.get(node) ?? new Map<NsKind, number>();
    closeAll([m.get(kind) ?? -1]);
    m.set(kind, fd);
    this.nodeFds.set(node, m);
  }

  // The recorded id a later process must find ('' is the keeper); a missing record is a refusal.
  private want(node: string, kind: NsKind): string | undefined {
    if (!this.expected) return undefined;
    const id = node ? this.expected.nodes[node]?.[kind] : this.expected.keeper[kind];
    if (!id) throw this.refused(node || 'the sandbox', `its journal entry records no ${kind} namespace for it`);
    return id;
  }

  private id(fd: number | undefined): string | undefined {
    return fd === undefined ? undefined : fileId(fd);
  }

  // Runs an open, turning a refusal into the error the person sees.
  private guard<T>(who: string, open: () => T): T {
    try {
      return open();
    } catch (err) {
      if (err instanceof NsRefused) throw this.refused(who, err.message);
      throw err;
    }
  }

  private refused(who: string, why: string): EnvironmentError {
    return new EnvironmentError(
      'SANDBOX_TAMPERED',
      `refusing to enter ${who} of sandbox ${this.runId}: ${why}`,
      `something inside the sandbox changed it; nothing was entered. Remove the sandbox: lab clean ${this.runId}`,
    );
  }
}
