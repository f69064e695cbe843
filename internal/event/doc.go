// Package event defines Event, the one record type that flows through Vigie:
// from decoders through the ingest pipeline into the store, the detectors and
// the API.
//
// An Event has typed core fields (time, source, kind), a sorted list of named
// fields, and the raw bytes it was decoded from. Field names follow the
// Elastic Common Schema (ECS) where one exists ("user.name", "source.ip");
// the original names of the source format ("EventID", "TargetUserName") are
// kept beside them, because Sigma rules address them.
//
// The package does no I/O and holds no global state.
package event
