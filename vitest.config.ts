import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    coverage: {
      // Enabled by `npm test` (--coverage). Child processes (dist/peer.js) are not instrumented: the
      // protocol code is covered in-process by the simulator and unit tests.
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/**/wire.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      thresholds: {
        'src/membership/**': { lines: 85 },
        'src/replication/**': { lines: 85 }
      }
    }
  }
})
