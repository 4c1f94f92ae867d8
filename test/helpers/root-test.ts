// AVA's `test` for the tests that build network namespaces: they need root. Run as any other user, each
// of them is skipped, its title saying why, and their hooks do not run; as root it is AVA's own `test`.
import test from 'ava';

const NEEDS_ROOT = ' (skipped: needs root)';

// Every call path of `test` (test(), test.serial(), test.before(), test.after.always(), ...): a call with
// a title skips that test; a hook (a function first) does nothing.
function skipping(): typeof test {
  const call = (first: unknown, ...rest: unknown[]): void => {
    if (typeof first === 'string')
      (test.skip as (title: string, ...args: unknown[]) => void)(`${first}${NEEDS_ROOT}`, ...rest);
  };
  const proxy: unknown = new Proxy(call, {
    get: () => proxy,
    apply: (_f, _this, args: unknown[]) => call(args[0], ...args.slice(1)),
  });
  return proxy as typeof test;
}

export default process.getuid?.() === 0 ? test : skipping();
