/**
 * What an idempotency key may be where it travels as an HTTP header (`Idempotency-Key`): printable ASCII.
 * Node reads header bytes as Latin-1, so `é` typed in curl (UTF-8, two bytes) and sent by a browser (one
 * byte) would be two different keys for one text, and a retry from the other would apply the write again.
 * The agent refuses other keys (400); `murmur docs put --idempotency-key` refuses them before sending.
 */

/** Longest opId (characters). Keys are stored as digests, so a long one costs nothing in the doc. */
export const MAX_OP_ID_CHARS = 256

const HEADER_KEY = new RegExp(`^[\\x20-\\x7e]{1,${MAX_OP_ID_CHARS}}$`)

export function isHeaderKey (key: string): boolean {
  return HEADER_KEY.test(key)
}

export const HEADER_KEY_RULE = `1–${MAX_OP_ID_CHARS} printable ASCII characters`
