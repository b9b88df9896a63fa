/** Bearer-token check for the HTTP API, in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

export function bearerAuthorizer (token: string | undefined): (req: IncomingMessage) => boolean {
  if (token === undefined) return () => true
  const expected = digest(token)
  return (req) => {
    const header = req.headers.authorization
    if (header === undefined || !header.startsWith('Bearer ')) return false
    return timingSafeEqual(digest(header.slice('Bearer '.length)), expected)
  }
}
