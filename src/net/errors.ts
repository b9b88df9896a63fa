/**
 * Named errors of the network layer. Both are start-up errors (a bad file on disk), so they extend
 * ConfigError: callers that print "bad configuration, exit 2" handle them without knowing src/net.
 */
import { ConfigError } from '../core/errors.js'

/** The identity key file (`<dataDir>/peer.key`) is unreadable, corrupt, or could not be created. */
export class IdentityError extends ConfigError {
  override name = 'IdentityError'
}

/** A pre-shared key (swarm.key) is malformed, or a private mesh was requested without one. */
export class PskError extends ConfigError {
  override name = 'PskError'
}
