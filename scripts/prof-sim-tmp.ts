import { SimCluster } from '../dist/sim/index.js'
const n = Number(process.argv[2] ?? 300)
const loss = Number(process.argv[3] ?? 0)
const cluster = new SimCluster({ size: n, seed: 1000 + n, startWindowMs: Math.min(30_000, n * 30), record: ['suspect', 'dead'] })
const net = cluster.network
let t = performance.now()
cluster.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === n, 600_000, 500)
console.log('formed wall', Math.round(performance.now() - t))
net.runUntil(() => cluster.runningIds().every(id => cluster.membership(id).stats().broadcastQueue === 0), 600_000, 1000)
if (loss > 0) net.setDefaultLink({ loss })
t = performance.now()
net.runFor(60_000)
console.log('minute wall', Math.round(performance.now() - t))
