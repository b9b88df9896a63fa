/**
 * Logging, injected. One line per event: `time LEVEL component message key=value ...`.
 * Protocol code logs through this interface only; peers write to stderr, the simulator captures or drops.
 */
import { hasTerminalControl, terminalSafeJson } from './terminal-safe.js'

export const LogLevel = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const
export type LogLevelName = keyof typeof LogLevel

export type LogFields = Record<string, string | number | boolean | undefined | null>

export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  /** A logger whose lines carry `component` (e.g. `membership`, `net`). */
  child(component: string): Logger
}

export interface LogSink {
  (level: Exclude<LogLevelName, 'silent'>, component: string, message: string, fields: LogFields | undefined): void
}

function formatValue (value: string | number | boolean): string {
  const s = String(value)
  return /[\s"=]/.test(s) || s === '' || hasTerminalControl(s) ? terminalSafeJson(s) : s
}

/**
 * `key=value` pairs, skipping undefined/null, quoting values with spaces. A value holding a character a
 * terminal acts on (a doc name or member name with an escape sequence: any client or member picks those)
 * is quoted with that character escaped, so an operator tailing the log sees it, not its effect.
 */
export function formatFields (fields: LogFields | undefined): string {
  if (fields === undefined) return ''
  let out = ''
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue
    out += ` ${key}=${formatValue(value)}`
  }
  return out
}

export function createLogger (sink: LogSink, minLevel: LogLevelName = 'info', component = 'murmur'): Logger {
  const min = LogLevel[minLevel]
  const emit = (level: Exclude<LogLevelName, 'silent'>) => (message: string, fields?: LogFields): void => {
    if (LogLevel[level] >= min) sink(level, component, message, fields)
  }
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (name: string) => createLogger(sink, minLevel, name)
  }
}

/** Writes `ISO-time LEVEL component message k=v` lines to a stream (stderr for peers). */
export function streamSink (write: (line: string) => void, now: () => Date = () => new Date()): LogSink {
  return (level, component, message, fields) => {
    write(`${now().toISOString()} ${level.toUpperCase().padEnd(5)} ${component} ${message}${formatFields(fields)}\n`)
  }
}

export const silentLogger: Logger = createLogger(() => {}, 'silent')

/**
 * The logger of a library user who passed none: silent, unless the `DEBUG` environment variable names
 * murmur the way the `debug` package's convention does (`DEBUG=murmur`, `murmur*`, `murmur:*`, or a
 * comma-separated list holding one of them): then every line, debug included, goes to stderr.
 */
export function defaultLibraryLogger (env: Readonly<Record<string, string | undefined>> = process.env): Logger {
  const wanted = (env.DEBUG ?? '').split(/[\s,]+/).some(p => p === '*' || /^murmur(\*|:\*)?$/.test(p))
  return wanted ? createLogger(streamSink((line) => { process.stderr.write(line) }), 'debug') : silentLogger
}

/**
 * Wraps a logger so that each `key` logs at most `burst` lines per `windowMs`; the rest are counted and
 * summarised in the next line that gets through. Used for anything a remote peer can trigger.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, { start: number, count: number, suppressed: number }>()

  constructor (
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly burst = 5,
    private readonly windowMs = 10_000,
    private readonly maxKeys = 1024
  ) {}

  warn (key: string, message: string, fields?: LogFields): void {
    this.emit('warn', key, message, fields)
  }

  info (key: string, message: string, fields?: LogFields): void {
    this.emit('info', key, message, fields)
  }

  private emit (level: 'info' | 'warn', key: string, message: string, fields?: LogFields): void {
    const t = this.now()
    let w = this.windows.get(key)
    if (w === undefined || t - w.start >= this.windowMs) {
      const suppressed = w?.suppressed ?? 0
      if (w === undefined && this.windows.size >= this.maxKeys) this.windows.clear()
      w = { start: t, count: 0, suppressed: 0 }
      this.windows.set(key, w)
      if (suppressed > 0) fields = { ...fields, suppressed }
    }
    if (w.count < this.burst) {
      w.count++
      this.log[level](message, fields)
    } else {
      w.suppressed++
    }
  }
}
