/**
 * The one merge-and-check step every component's configuration goes through: `init` over the defaults,
 * unknown keys and wrongly typed values refused with a ConfigError naming the field.
 */
import { ConfigError } from './errors.js'

/** `{ ...defaults, ...init }`, refusing keys the defaults lack and values of another type than the default's. */
export function mergeConfig<C extends object> (defaults: Readonly<C>, init: Partial<C> | undefined, component: string): C {
  const config = { ...defaults }
  for (const [key, value] of Object.entries(init ?? {})) {
    if (!Object.hasOwn(defaults, key)) throw new ConfigError(`unknown ${component} option "${key}"`)
    if (value === undefined) continue
    const expected = typeof (defaults as Record<string, unknown>)[key]
    if (typeof value !== expected) throw new ConfigError(`${key} must be a ${expected}, got ${typeof value}`)
    Object.assign(config, { [key]: value })
  }
  return config
}

/** @throws ConfigError unless every listed field is a positive safe integer. */
export function requirePositiveIntegers<C extends object> (config: C, keys: ReadonlyArray<keyof C & string>): void {
  for (const key of keys) {
    const value: unknown = config[key]
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new ConfigError(`${key} must be a positive integer, got ${String(value)}`)
    }
  }
}

/**
 * @throws ConfigError unless `value` is a plain object of string values (member tags): a number among them
 *   was applied and then broke the encoding of every frame carrying it.
 */
export function requireStringRecord (value: unknown, option: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${option} must be an object of strings, got ${Array.isArray(value) ? 'an array' : typeof value}`)
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new ConfigError(`${option}.${key} must be a string, got ${typeof v}`)
  }
}
