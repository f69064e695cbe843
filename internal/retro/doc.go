// Package retro runs retro-hunts: Sigma rules, behaviour detectors, or
// both, over the events already in the store, for a range of event
// time, as background jobs.
//
// A hunt reads the store in ID order (store.Scanner), from the first
// stored event up to the highest ID stored when the hunt starts; events
// stored later are live detection's business. It skips alerts and
// pipeline errors and the events outside [Spec.From, Spec.To), runs the
// rest through a detect.Engine of its own, as live detection does, and
// stores the alerts the engine raises, each marked with vigie.hunt.id
// and vigie.hunt.name, before handing them to Deps.OnAlerts so that they
// join incidents like live alerts. Evidence references are stored event
// IDs in decimal, as live detection writes them, so a retro alert points
// at stored events exactly as a live one does.
//
// Event time advances as the store's order allows: after each batch the
// engine is advanced to the newest event time seen, and correlations
// keep their reorder buffer (correlate.Config.Lateness) for events stored
// slightly out of time order; at the end the engine is flushed. For
// events stored in the same order, a hunt raises exactly the alerts that
// a detect.Engine fed the same events raises (TestHuntMatchesEngine).
//
// A Manager runs at most Config.MaxJobs hunts at once and refuses more
// (ErrBusy). Each job's status is written to the store as a record of
// kind "hunt" when its state changes and every Config.SaveEvery while it
// runs, so hunts outlive a restart; Load marks a hunt that was running
// when the process ended as failed ("interrupted by restart"). Stop
// cancels a hunt before its next batch; the alerts of the batches read
// are kept and the hunt ends in state "stopped".
//
// Memory is bounded by Config.Batch: one batch of events and at most
// about one batch of alerts are held at a time, plus the engine's own
// bounded correlation and behaviour state.
//
// Non-goals: resuming an interrupted hunt (start it again), de-duplicating
// retro alerts against live ones (they are told apart by vigie.hunt.id),
// and queueing hunts beyond MaxJobs.
package retro
