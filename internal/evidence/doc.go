// Package evidence makes Vigie's store tamper-evident, in the manner of
// Certificate Transparency (RFC 6962).
//
// Every stored event, alert and audit entry is a leaf of the store's
// integrity log (store.Ledger; package leaf defines the leaf bytes). This
// package builds the Merkle tree over those leaves (Tree), signs
// checkpoints of it with the instance's Ed25519 key (Key, Checkpoint),
// keeps them and pushes them to outside witnesses (Log), serves inclusion
// and consistency proofs, and re-hashes a whole store against its leaves
// and checkpoints (Verify) to name every event or audit entry that was
// altered, removed or inserted.
//
// What it protects: once a checkpoint of size n has left the server (to a
// witness, a bundle or an analyst), no one can change, remove or reorder
// any of the first n leaves without the change being detected by Verify
// or by a consistency proof. What it does not: it cannot stop an intruder
// holding the signing key from rewriting history that no outside party
// has a checkpoint of yet, nor recover what was altered.
//
// Case bundles are package evidence/bundle's.
package evidence
