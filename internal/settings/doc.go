// Package settings keeps the configuration that admins edit in the
// console: notification targets (package notify) and response policies
// (package respond). Each is a record in the store (store.Records, kinds
// KindTarget and KindPolicy), layered over the same sections of
// vigie.yaml: the entries of vigie.yaml are shown read-only, those made
// in the console may be changed and deleted. A Manager loads the records,
// validates them with the packages' own validation, applies the merged
// configuration to the running notifier and policy engine (no restart),
// and audits every change.
//
// Secrets (a webhook's signing secret, an SMTP password) are write-only:
// views never carry them, and an update that leaves one empty keeps the
// stored value.
//
// Routing: a console target carries its own filter (minimum level, message
// kinds, rule ids), made into one route of its own. When vigie.yaml has
// targets and no routes (every target receives everything), its targets
// are given one catch-all route, so that adding a console target does not
// silence them.
//
// Non-goals: settings does not edit vigie.yaml, does not manage the
// notifier's global settings (group wait, rate, retries) nor the response
// executors and allow-lists, and does not decide who may change settings
// (the API and the console let admins only).
package settings
