/**
 * The reference y-websocket server (@y/websocket-server, the y-websocket authors' server: one process, one
 * in-memory doc per room, no persistence, no replication), for the yjs benchmark's side-by-side run.
 * Serves `ws://127.0.0.1:<port>/yjs/<doc>` (same path as murmur's, so the clients are identical).
 *
 *   node scripts/bench/baseline/yws-server.ts      → prints "listening <port>"
 */
import { createServer } from 'node:http'
import { setupWSConnection } from '@y/websocket-server/utils'
import { WebSocketServer } from 'ws'

const PREFIX = '/yjs/'
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.end('y-websocket reference server\n')
})
const wss = new WebSocketServer({ noServer: true })
server.on('upgrade', (req, socket, head) => {
  const url = req.url ?? ''
  if (!url.startsWith(PREFIX)) {
    socket.destroy()
    return
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    setupWSConnection(ws, req, { docName: decodeURIComponent(url.slice(PREFIX.length).split('?')[0] ?? '') })
  })
})
server.listen(0, '127.0.0.1', () => {
  const addr = server.address()
  process.stdout.write(`listening ${typeof addr === 'object' && addr !== null ? addr.port : 0}\n`)
})
process.on('SIGTERM', () => { process.exit(0) })
