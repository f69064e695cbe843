// Package respond turns detections and analysts' orders into response
// decisions: block an address or a range, disable an account, isolate a
// host, each for a limited time.
//
// A Manager owns the decisions. Decide validates a request (syntax, the
// allow-lists, the widest range allowed, the longest duration), stores the
// decision and its audit entry durably, and returns; the executions (one
// per Executor: the CrowdSec bouncer stream, a webhook, a command) run in
// the background under Run, each with a timeout, and failures are retried
// with exponential backoff until they succeed or the decision ends. Every
// execution's state is stored on the decision, so that work pending when
// the process stops resumes when it starts again. When a decision expires
// or is revoked, every executor that applied it is asked to revoke it.
//
// Policies respond automatically to alerts (OnAlert). They are off by
// default; a policy in dry-run stores what it would have done without
// executing it. Allow-lists always win over policies and analysts alike.
//
// The package does not decide who may order a response (internal/auth and
// the API do), does not wait for an approval step, and does not talk to
// any enforcement point itself: executors live in sub-packages (bouncer,
// webhook, command) and respondtest is the contract they all pass.
package respond
