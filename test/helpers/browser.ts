/**
 * Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (`npx playwright
 * install` cannot work offline). A test file skips with a clear message when it is not installed.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { ROOT } from './procs.js'

export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync']
/** Screenshots kept for people to look at (git-ignored). */
export const ARTIFACTS = path.join(ROOT, 'test-artifacts')

/** Undefined when Chromium is there; else the reason to print and the skip label. */
export function chromiumMissing (testName: string): string | undefined {
  if (existsSync(CHROMIUM)) return undefined
  console.warn(`${testName}: SKIPPED — ${CHROMIUM} not found; install it with: apt-get install -y chromium`)
  return `skipped: ${CHROMIUM} not installed`
}
