/**
 * How many tags a member may set itself, shared by every way tags are set (--tag, createPeer, POST /tags,
 * Peer.setTags).
 */
import { SWIM_LIMITS } from '../membership/codec.js'
import { HTTP_TAG } from './views.js'

/**
 * The tags a member may set itself: a member description holds at most SWIM_LIMITS.tags, and one of them is
 * kept for HTTP_TAG, the address of the HTTP API a peer serving one adds (how the /mesh page reaches it). A
 * peer given them all went without it, silently, and `POST /tags` then refused one more with "at most 32"
 * where the operator had set 31. An HTTP_TAG of the user's own (it wins) takes that place.
 */
export const MAX_USER_TAGS = SWIM_LIMITS.tags - 1

/** Why `tags` are too many to set (see MAX_USER_TAGS), or undefined. */
export function tagCountProblem (tags: Readonly<Record<string, string>>): string | undefined {
  const own = Object.keys(tags).filter(k => k !== HTTP_TAG).length
  if (own <= MAX_USER_TAGS) return undefined
  return `at most ${MAX_USER_TAGS} tags, got ${own} (a member has ${SWIM_LIMITS.tags}, and ${HTTP_TAG}, the peer's HTTP API address, which it adds itself, is the last)`
}
