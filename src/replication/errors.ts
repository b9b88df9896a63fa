import { MurmurError } from '../core/errors.js'

/** The app passed a document name the wire cannot carry (empty, over 256 chars, control characters). */
export class InvalidDocNameError extends MurmurError {
  override name = 'InvalidDocNameError'
}
