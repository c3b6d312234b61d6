// What the policy modules share with the pipeline and the protocol handlers.
import type { Identity, RequestContext } from '../core/index.js';

/** The outcome of one authenticator on one request. */
export type AuthResult =
  /** A credential this authenticator accepts: the caller, and the header it came in (absent: authorization). */
  | { readonly kind: 'ok'; readonly identity: Identity; readonly header?: string }
  /** The request carries no credential of this kind. */
  | { readonly kind: 'none' }
  /** A credential of this kind that does not verify; `reason` is for the log only (no secrets). */
  | { readonly kind: 'invalid'; readonly reason: string }
  /** A valid credential without the scopes the policy requires (all of `scopes`). */
  | { readonly kind: 'insufficient'; readonly reason: string; readonly scopes: readonly string[] };

/** One authentication policy (apiKey or jwt), compiled from config. */
export interface Authenticator {
  readonly kind: 'apiKey' | 'jwt';
  /** The policy's name in config. */
  readonly name: string;
  /** The WWW-Authenticate challenge for a 401, e.g. `Bearer realm="agentedge"`. */
  readonly challenge: string;
  /** A jwt policy's issuer: the authorization server of the tokens it accepts (RFC 9728 `authorization_servers`). */
  readonly issuer?: string;
  /** A jwt policy's required scopes (its challenges' `scope`, RFC 9728 `scopes_supported`). */
  readonly scopes?: readonly string[];
  /** Synchronous when it can be (config keys, a cached key lookup); a promise when it must wait (JWKS fetch, a store lookup). */
  authenticate(ctx: RequestContext): AuthResult | Promise<AuthResult>;
  /** Stops timers and background refreshes (on reload and shutdown). */
  close?(): void;
}
