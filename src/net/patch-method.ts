/**
 * The one mechanism behind murmur's run-time patches of dependencies (yamux-window.ts,
 * length-prefix-patch.ts): replace a prototype's method by a wrapper of it, once per process, and only if
 * the method is there. A dependency whose internals changed is left alone (the patch reports false and only
 * a figure suffers); test/net/patches.test.ts is what notices.
 */

/** Marks a wrapper, so that installing a patch twice wraps once. */
const WRAPPED = Symbol('murmur.patchedMethod')

/**
 * Replaces `proto[name]` by `wrap(original)`. Returns true if the wrapper is in place (now or already),
 * false if `proto` has no such method.
 */
export function patchMethod<F extends (this: never, ...args: never[]) => unknown> (proto: object, name: string, wrap: (original: F) => F): boolean {
  const target = proto as Record<string, unknown>
  const current = target[name]
  if (typeof current !== 'function') return false
  if ((current as { [WRAPPED]?: true })[WRAPPED] === true) return true
  const wrapper = wrap(current as F) as F & { [WRAPPED]?: true }
  wrapper[WRAPPED] = true
  target[name] = wrapper
  return true
}
