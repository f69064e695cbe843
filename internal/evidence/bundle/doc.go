// Package bundle writes and verifies Vigie's case bundles: one .tar.gz or
// .zip file per incident that a third party (the police, a national CERT)
// can check offline with only the bundle and the instance's public key.
//
// # Contents
//
// A bundle holds, at its top level:
//
//   - manifest.json: the format ("vigie-case-bundle/1"), the incident id,
//     who exported it and when, the instance (its public key and key id),
//     the signed checkpoint every proof is against, optionally the previous
//     export (the SHA-256 of its manifest.json and a summary of what
//     changed), every other file with its SHA-256 and size, and the
//     signature.
//   - events.ndjson, alerts.ndjson (events of kind alert) and audit.ndjson:
//     one JSON object per line carrying every item of the line's leaf
//     (package evidence/leaf), so that a receiver rebuilds the leaf bytes
//     exactly, plus the leaf index. Strings that are not valid UTF-8 are
//     written as {"base64": "..."}; raw bytes as "raw" (a string) when they
//     are valid UTF-8, else as "raw_base64"; an audit entry's detail as
//     "detail_base64" (exact bytes) plus "detail", a readable copy, when it
//     is valid JSON. Readable copies (time, kind_name, detail) are checked
//     against the items they copy.
//   - proofs.json: the checkpoint, and for each of the three NDJSON files
//     an array with, for each line in order, its line number, its leaf
//     index and its RFC 6962 inclusion proof (hex hashes) against the
//     checkpoint.
//   - any other files of the caller (incident.json, timeline.json,
//     report.html, indicators.stix.json…), listed and hashed in the
//     manifest.
//
// # Signature
//
// The manifest's signature is Ed25519, by the instance key, over the
// manifest's canonical bytes: the JSON Canonicalization Scheme (RFC 8785)
// of manifest.json's object without its "signature" member. Because they
// are computed from the received file, every member, known or not, is
// covered. Bundles use integers only (no fractions or exponents), within
// ±2^53; strings must be valid UTF-8 and keys unique.
//
// # Verification
//
// Verify reads the archive without extracting it: nothing is written to
// disk. It refuses, with an error, archives that are truncated, too large
// (Limits), or hostile: names with "..", absolute paths, backslashes,
// duplicates, links, devices, zip entries that overlap or fail their CRC,
// data after the end of a tar. Everything else it reports as Failures,
// each naming the file, the line and the object: a bad manifest signature,
// a file missing, unlisted or differing from the manifest, a checkpoint
// not signed by the key, a line that does not match its inclusion proof.
//
// The package does not choose what goes into a bundle (package casefile
// and the API do) nor compute proofs (package evidence does).
package bundle
