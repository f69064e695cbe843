package evtx

import "github.com/vigie-sec/vigie/internal/event"

// normalise adds the ECS fields derived from the original Windows fields.
func normalise(e *event.Event) {}
