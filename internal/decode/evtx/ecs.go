package evtx

import (
	"github.com/vigie-sec/vigie/internal/decode/winjson"
	"github.com/vigie-sec/vigie/internal/event"
)

// normalise adds the ECS fields (event.code, host.name, user.name,
// source.ip, process.command_line, …) derived from the original Windows
// fields, and sorts the fields. Package winjson does it for the Windows
// events of every decoder, so that an event read from an EVTX file and the
// same event shipped as Winlogbeat JSON get the same ECS fields.
func normalise(e *event.Event) { winjson.Normalise(e) }
