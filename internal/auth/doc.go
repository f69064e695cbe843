// Package auth authenticates API requests. This first version knows one
// admin API token, created on first start; users, roles and sessions come
// later.
//
// The token is 32 random bytes, hex encoded, prefixed "vigie_". It is kept in
// <data>/admin.token (mode 0600) so the operator can read it again; the
// server holds only its SHA-256 and compares in constant time.
package auth
