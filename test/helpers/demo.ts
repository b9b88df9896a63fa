/** Shared by the `npm start` tests: which of its processes are still there. */
import { readFileSync } from 'node:fs'
import path from 'node:path'

/** Whether process `pid` exists (signal 0 checks without sending anything). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The demo peers' pids, as the launcher records them in `<dir>/demo.pids`. */
export const pidsIn = (dir: string): number[] => readFileSync(path.join(dir, 'demo.pids'), 'utf8').split('\n').map(Number).filter(n => n > 0)
