// Package auth says who sends a request and what they may do: local
// users with roles, their console sessions and API tokens, and the data
// folder's admin token.
//
// The admin token is 32 random bytes, hex encoded, prefixed "vigie_". It
// is kept in <data>/admin.token (mode 0600) so the operator can read it
// again; the server holds only its SHA-256 and compares in constant time.
//
// A Service keeps users (argon2id password hashes in the PHC format),
// sessions and API tokens as records in a store.Records, so they survive
// a restart; sessions and tokens are stored under the SHA-256 of their
// secret, never the secret. It rate-limits logins per user and per
// remote address, and writes every change and login to the audit log.
// Roles are ordered viewer < analyst < responder < admin; a token acts
// with its own role capped by its owner's current one. A password change
// or reset ends every session and token issued before it.
//
// Not here: deciding which role a route needs (internal/api and
// internal/web do), TLS, and per-source ingest tokens. The login limiter
// lives in memory: a restart forgets it, and several processes sharing
// one store limit separately.
package auth
