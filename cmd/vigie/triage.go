package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/alertstate"
	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/notify"
	"github.com/vigie-sec/vigie/internal/respond"
	"github.com/vigie-sec/vigie/internal/respond/bouncer"
	"github.com/vigie-sec/vigie/internal/respond/command"
	"github.com/vigie-sec/vigie/internal/respond/webhook"
	"github.com/vigie-sec/vigie/internal/retro"
	"github.com/vigie-sec/vigie/internal/store"
)

// triage takes every stored alert, live or from a retro-hunt: it groups it
// into an incident, lets the response policies act on it, and tells whom
// the notification routes name.
type triage struct {
	incidents *incident.Manager
	respond   *respond.Manager
	bouncer   *bouncer.Bouncer // nil unless response.executors.bouncer.enabled
	notify    *notify.Notifier
	url       string // the console's address, for links in notifications
	log       *slog.Logger
}

// alerts is detect.LiveConfig.OnAlerts and retro's: it runs on the
// detection goroutine, so it only does local work; delivery is the
// notifier's and the executors' own goroutines'.
func (t *triage) alerts(ctx context.Context, alerts []*event.Event) {
	changes, err := t.incidents.Add(ctx, alerts)
	if err != nil {
		// The cursor did not move: the next start groups them again.
		t.log.Error("grouping alerts into incidents", "alerts", len(alerts), "err", err)
	}
	for _, a := range alerts {
		// Policies act on what happens now: a retro-hunt's hits are
		// history, for an analyst to weigh, not for automatic blocks.
		if _, fromHunt := a.Get(retro.FieldHuntID); !fromHunt {
			if _, err := t.respond.OnAlert(ctx, a); err != nil {
				t.log.Error("response policies", "alert", a.ID, "err", err)
			}
		}
		inc := ""
		if id, ok := t.incidents.IncidentOf(a.ID); ok {
			inc = strconv.FormatInt(id, 10)
		}
		t.notify.Notify(notify.AlertMessage(a, inc, t.link("/ui/incidents/"+inc)))
	}
	for _, c := range changes {
		if c.Kind != incident.ChangeNew {
			continue
		}
		inc, err := t.incidents.Get(c.Incident)
		if err != nil {
			continue
		}
		t.notify.Notify(notify.Message{Kind: notify.KindIncidentNew, Level: inc.EffectiveSeverity(),
			Title: inc.Title, Incident: strconv.FormatInt(inc.ID, 10), Time: inc.Created,
			Text: fmt.Sprintf("New incident %d: %s (%d alerts)", inc.ID, inc.Title, len(inc.Alerts)),
			URL:  t.link(fmt.Sprintf("/ui/incidents/%d", inc.ID))})
	}
}

// catchUp groups the alerts stored since the incidents' cursor: those of
// a run that stopped before grouping them.
func (t *triage) catchUp(ctx context.Context, st store.Scanner) error {
	after := t.incidents.Cursor()
	n := 0
	for {
		events, err := st.Scan(ctx, after, 5000)
		if err != nil {
			return fmt.Errorf("catching up on alerts: %w", err)
		}
		if len(events) == 0 {
			break
		}
		var alerts []*event.Event
		for _, e := range events {
			if e.Kind == event.KindAlert {
				alerts = append(alerts, e)
			}
		}
		if len(alerts) > 0 {
			if _, err := t.incidents.Add(ctx, alerts); err != nil {
				return fmt.Errorf("catching up on alerts: %w", err)
			}
			n += len(alerts)
		}
		after = events[len(events)-1].ID
	}
	if n > 0 {
		t.log.Info("alerts grouped after restart", "alerts", n)
	}
	return nil
}

func (t *triage) link(path string) string {
	if t.url == "" || strings.HasSuffix(path, "/") {
		return ""
	}
	return strings.TrimRight(t.url, "/") + path
}

// newResponse builds the response manager and its executors from the
// "response" section.
func newResponse(cfg respond.Config, st store.Store, log *slog.Logger, onChange func(respond.Change)) (*respond.Manager, *bouncer.Bouncer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	var executors []respond.Executor
	var b *bouncer.Bouncer
	if cfg.Executors.Bouncer.Enabled {
		b = bouncer.New(st, time.Now)
		executors = append(executors, b)
	}
	for _, w := range cfg.Executors.Webhooks {
		e, err := webhook.New(w)
		if err != nil {
			return nil, nil, fmt.Errorf("response.executors.webhooks %s: %w", w.Name, err)
		}
		executors = append(executors, e)
	}
	for _, c := range cfg.Executors.Commands {
		e, err := command.New(c)
		if err != nil {
			return nil, nil, fmt.Errorf("response.executors.commands %s: %w", c.Name, err)
		}
		executors = append(executors, e)
	}
	m, err := respond.New(cfg, respond.Deps{Records: st, Audit: st, Executors: executors, Logger: log, OnChange: onChange})
	if err != nil {
		return nil, nil, err
	}
	return m, b, nil
}

// newTriage builds the incident manager, the response manager and the
// notifier from cfg, and groups the alerts a previous run left
// ungrouped.
func newTriage(ctx context.Context, cfg *serveConfig, st store.Store, log *slog.Logger) (*triage, error) {
	if err := cfg.Scope.Validate(); err != nil {
		return nil, err
	}
	t := &triage{url: cfg.URL, log: log}
	var err error
	if t.incidents, err = incident.New(cfg.Incidents, incident.Deps{Records: st, Audit: st, Evidence: st}); err != nil {
		return nil, fmt.Errorf("incidents: %w", err)
	}
	if err := t.incidents.Load(ctx); err != nil {
		return nil, err
	}
	if t.notify, err = notify.New(cfg.Notify, notify.Deps{Logger: log, Version: buildVersion()}); err != nil {
		return nil, err
	}
	t.respond, t.bouncer, err = newResponse(cfg.Response, st, log, t.decisionChanged)
	if err != nil {
		return nil, err
	}
	if err := t.respond.Load(ctx); err != nil {
		return nil, err
	}
	if err := t.catchUp(ctx, st); err != nil {
		return nil, err
	}
	return t, nil
}

// incidentChanged tells the notification routes about an analyst's change
// to an incident.
func (t *triage) incidentChanged(inc *incident.Incident, change string) {
	kind := notify.KindIncidentUpdate
	text := fmt.Sprintf("Incident %d: %s changed", inc.ID, change)
	if change == "status" {
		kind = notify.KindIncidentStatus
		text = fmt.Sprintf("Incident %d is now %s", inc.ID, inc.Status)
		if inc.Reason != "" {
			text += " (" + inc.Reason + ")"
		}
	}
	t.notify.Notify(notify.Message{Kind: kind, Level: inc.EffectiveSeverity(), Title: inc.Title,
		Incident: strconv.FormatInt(inc.ID, 10), Text: text, URL: t.link(fmt.Sprintf("/ui/incidents/%d", inc.ID))})
}

// decisionChanged tells the notification routes about decisions made,
// ended, or failing to apply.
func (t *triage) decisionChanged(c respond.Change) {
	d := c.Decision
	level := "medium"
	text := d.Summary()
	switch c.Kind {
	case respond.ChangeCreate, respond.ChangeRevoke, respond.ChangeExpire:
	case respond.ChangeFailed:
		level = "high"
		text = fmt.Sprintf("%s: executor %s failed: %s (retrying)", d.Summary(), c.Executor, c.Err)
	default:
		return
	}
	t.notify.Notify(notify.Message{Kind: notify.KindDecision, Key: "decision/" + d.ID, Level: level,
		Title: fmt.Sprintf("Decision %s %s: %s %s", d.ID, c.Kind, d.Action, d.Value), Text: text,
		Incident: d.Incident, URL: t.link("/ui/decisions")})
}

// bouncersOf and handlerOf leave the bouncer routes out when the bouncer
// executor is off.
func bouncersOf(b *bouncer.Bouncer) api.Bouncers {
	if b == nil {
		return nil
	}
	return b
}

func handlerOf(b *bouncer.Bouncer) http.Handler {
	if b == nil {
		return nil
	}
	return b
}

// consoleAlertStates gives the console the alert triage of package
// alertstate.
type consoleAlertStates struct{ *alertstate.Store }

func (c consoleAlertStates) Set(ctx context.Context, ids []event.ID, status, assignee, reason string, who auth.Identity, remote string) error {
	return c.Store.Set(ctx, ids, status, assignee, reason, who.User, remote)
}
