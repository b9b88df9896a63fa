/**
 * What `npm pack` would ship, from `npm pack --dry-run --json` (no tarball, no install: a second or two),
 * checked against what the shipped files refer to: a relative link in README.md or docs/ that points at a
 * file the package does not ship is a dead link in node_modules/murmur and on the registry's page.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { ROOT } from '../helpers/procs.js'

interface PackEntry { files: Array<{ path: string, size: number }> }

describe('package contents', () => {
  // --ignore-scripts: `prepare` would rebuild dist; the file list does not depend on it.
  const packed = (JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] })) as PackEntry[])[0] as PackEntry
  const shipped = new Set(packed.files.map(f => f.path))

  test('every relative link of a shipped Markdown file points at a shipped file', () => {
    const dead: string[] = []
    for (const doc of [...shipped].filter(f => f.endsWith('.md'))) {
      const text = readFileSync(path.join(ROOT, doc), 'utf8')
      for (const m of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
        const target = m[1] as string
        if (/^[a-z]+:/i.test(target)) continue // http:, https:, mailto:
        const file = path.posix.normalize(path.posix.join(path.posix.dirname(doc), target))
        if (!shipped.has(file) && ![...shipped].some(f => f.startsWith(`${file}/`))) dead.push(`${doc} → ${target}`)
      }
    }
    expect(dead).toEqual([])
  })
})
