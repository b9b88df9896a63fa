/**
 * The page and its assets, read once at start-up from `public/`. Serving from a fixed in-memory table
 * (not from the file system per request) means no path traversal to think about and no disk I/O per hit.
 */
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public')

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

/**
 * Only this server's own scripts, styles, event stream and WebSocket: the page never loads anything from
 * elsewhere (the machine may be offline, and a chat message must never be able to run as code). Inline
 * style attributes are allowed (no inline script is): the editor colours each remote cursor in its
 * user's colour with one.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer'
}

interface Asset { body: Buffer, type: string, etag: string }

export interface StaticFiles {
  /** Whether `pathname` is the page or one of its assets (served for GET and HEAD). */
  has(pathname: string): boolean
  /** Serves GET/HEAD of a known asset (`/` is index.html); false for any other path or method. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean
}

export function loadStatic (dir: string = PUBLIC_DIR): StaticFiles {
  const assets = new Map<string, Asset>()
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)]
    if (type === undefined) continue
    const body = readFileSync(path.join(dir, name))
    assets.set(`/${name}`, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` })
  }
  const find = (pathname: string): Asset | undefined => assets.get(pathname === '/' ? '/index.html' : pathname)
  return {
    has: pathname => find(pathname) !== undefined,
    serve: (req, res, pathname) => {
      const asset = find(pathname)
      if (asset === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false
      // no-cache = revalidate every time: cheap (304) and a restarted demo never shows a stale page.
      const headers = { ...SECURITY_HEADERS, 'content-type': asset.type, 'cache-control': 'no-cache', etag: asset.etag }
      if (req.headers['if-none-match'] === asset.etag) {
        res.writeHead(304, headers)
        res.end()
        return true
      }
      res.writeHead(200, { ...headers, 'content-length': asset.body.length })
      res.end(req.method === 'HEAD' ? undefined : asset.body)
      return true
    }
  }
}
