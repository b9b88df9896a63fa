/**
 * A loop at a steady rate, for the load generators (the soak's writers, `npm run bench -- write-load`):
 * it first waits a random part of one interval, so that many loops started together spread over it, then
 * runs `step(n)` (n = 0, 1, …) once per interval while `running()`. A step that takes longer than an
 * interval delays the next one; none is skipped or run twice to catch up.
 */
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

export async function paced (perSecond: number, running: () => boolean, step: (n: number) => Promise<void>): Promise<void> {
  const intervalMs = 1000 / perSecond
  await sleep(Math.random() * intervalMs)
  for (let n = 0; running(); n++) {
    const started = performance.now()
    await step(n)
    await sleep(Math.max(0, intervalMs - (performance.now() - started)))
  }
}
