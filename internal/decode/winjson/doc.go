// Package winjson decodes Windows event log records written as JSON lines by
// the usual shippers, and maps them to the names Sigma rules and ECS use.
//
// Four shapes are recognised, per record:
//
//   - Winlogbeat 7 and later (ECS): "winlog.event_id", "winlog.channel",
//     "winlog.computer_name", "winlog.provider_name", "winlog.event_data.X",
//     "winlog.user_data.X".
//   - Winlogbeat 6 (legacy): "event_id", "log_name", "computer_name",
//     "source_name", "event_data.X", "user_data.X".
//   - NXLog im_msvistalog, as in the OTRF Security Datasets: flat "EventID",
//     "Channel", "Hostname", "SourceName" with every EventData field at top
//     level.
//   - evtx_dump's JSON (one record per line): "Event.System.EventID",
//     "Event.System.Provider.#attributes.Name", "Event.EventData.X",
//     "Event.UserData.<element>.X".
//
// Every field of the record is kept under its flattened JSON name (package
// jsonl). Added beside them are the names Sigma rules use: EventID, Channel,
// Computer, Provider_Name, and each EventData or UserData field under its
// own name ("winlog.event_data.Image" also appears as "Image"), unless the
// record already has a field of that name. Normalise then adds ECS fields
// from those names; it is exported for package evtx, which produces the same
// Sigma names from binary logs, so that both decoders give the same events.
//
// The event time is "@timestamp", else the record's creation time (evtx_dump
// SystemTime, TimeCreated, EventTime), text without a zone being read as UTC.
//
// A line that is not a JSON object, or not valid JSON, becomes a
// pipeline-error event that keeps the line; lines over the size limit are
// rejected (decode.Lines).
//
// Non-goals: rendering messages from templates, resolving SIDs, and Sigma
// field renames (Image for 4688's NewProcessName): those belong to the Sigma
// logsource mapping, which knows which rule expects what.
package winjson
