// A second local user made for one test (useradd) and removed after it (userdel), and commands run as them.
import { execa } from 'execa';

export interface OtherUser {
  name: string;
  uid: number;
  gid: number;
  run(argv: string[]): Promise<{ exitCode: number; all: string }>; // as that user, no other groups
  remove(): Promise<void>;
}

// Makes a system user with no home and no shell; the caller removes it (t.teardown).
export async function makeOtherUser(tag: string): Promise<OtherUser> {
  const name = `labt${tag}${process.pid}`.slice(0, 31);
  await execa('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', name]);
  const uid = Number((await execa('id', ['-u', name])).stdout);
  const gid = Number((await execa('id', ['-g', name])).stdout);
  return {
    name,
    uid,
    gid,
    run: async (argv) => {
      const r = await execa('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', ...argv], {
        reject: false,
        all: true,
        timeout: 30_000,
      });
      return { exitCode: r.exitCode ?? -1, all: String(r.all) };
    },
    remove: async () => void (await execa('userdel', [name], { reject: false })),
  };
}
