/** scripts/lib/user-path.ts: a path typed to an npm script resolves where it was typed (INIT_CWD). */
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { userPath } from '../../scripts/lib/user-path.ts'

describe('userPath', () => {
  test('under npm, relative to INIT_CWD; absolute paths as they are', () => {
    const env = { npm_lifecycle_event: 'soak', INIT_CWD: '/home/u/work/sub' }
    expect(userPath('logs', env)).toBe('/home/u/work/sub/logs')
    expect(userPath('../x', env)).toBe('/home/u/work/x')
    expect(userPath('/abs/dir', env)).toBe('/abs/dir')
  })

  test('run directly (no npm script), or with an INIT_CWD left over from an outer npm, relative to the working directory', () => {
    expect(userPath('logs', {})).toBe(path.resolve('logs'))
    expect(userPath('logs', { INIT_CWD: '/elsewhere' })).toBe(path.resolve('logs'))
    expect(userPath('logs', { npm_lifecycle_event: 'soak', INIT_CWD: '' })).toBe(path.resolve('logs'))
  })
})
