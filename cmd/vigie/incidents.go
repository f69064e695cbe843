package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
	"github.com/vigie-sec/vigie/internal/scope"
)

// remote is what every command that talks to a server shares: where, the
// token, and --json.
type remote struct {
	client clientFlags
	asJSON bool
}

func (r *remote) register(cmd *cobra.Command) {
	r.client.register(cmd)
	cmd.Flags().BoolVar(&r.asJSON, "json", false, "print the server's answer as JSON")
}

// call sends one request and decodes the answer into dst.
func (r *remote) call(ctx context.Context, method, path string, body, dst any) error {
	token, err := r.client.resolveToken()
	if err != nil {
		return err
	}
	return r.client.send(ctx, token, method, path, body, dst)
}

// print writes v as JSON with --json, else calls text.
func (r *remote) print(w io.Writer, v any, text func()) error {
	if r.asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text()
	return nil
}

func newIncidentsCommand() *cobra.Command {
	var (
		rm                      remote
		status, level, assignee string
		entity                  string
		open                    bool
	)
	cmd := &cobra.Command{
		Use:   "incidents",
		Short: "List the incidents a Vigie server grouped its alerts into",
		Long: `List incidents, newest first: alerts that share an account, a host or an
address within the grouping window, with their severity, status, assignee
and ATT&CK tactics. "vigie incident show ID" shows one in full.`,
		Example: `  vigie incidents --open
  vigie incidents --level high --json
  vigie incidents --entity user.name=j.dekker`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := url.Values{}
			for k, val := range map[string]string{"status": status, "min_level": level, "assignee": assignee} {
				if val != "" {
					v.Set(k, val)
				}
			}
			if open {
				v.Set("open", "true")
			}
			if entity != "" {
				f, val, ok := strings.Cut(entity, "=")
				if !ok {
					return fmt.Errorf("--entity %q: write FIELD=VALUE, such as user.name=alice", entity)
				}
				v.Set("field", f)
				v.Set("value", val)
			}
			var resp api.IncidentsResponse
			if err := rm.call(cmd.Context(), "GET", "/api/v1/incidents?"+v.Encode(), nil, &resp); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			return rm.print(out, resp, func() {
				for _, inc := range resp.Incidents {
					fmt.Fprintf(out, "%-5d %-9s %-14s %3d alerts  %s → %s  %s\n", inc.ID, inc.EffectiveSeverity(), inc.Status,
						len(inc.Alerts), inc.First.UTC().Format(time.RFC3339), inc.Last.UTC().Format(time.RFC3339), inc.Title)
				}
				if len(resp.Incidents) == 0 {
					fmt.Fprintln(out, "no incidents")
				}
			})
		},
	}
	rm.register(cmd)
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only this status: new, investigating, contained, resolved, false_positive, merged")
	f.StringVar(&level, "level", "", "lowest severity: informational, low, medium, high, critical")
	f.StringVar(&assignee, "assignee", "", "only incidents assigned to this analyst")
	f.StringVar(&entity, "entity", "", "only incidents naming FIELD=VALUE (user.name=alice, source.ip=203.0.113.9)")
	f.BoolVar(&open, "open", false, "only open incidents (new, investigating, contained)")
	return cmd
}

func newIncidentCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incident",
		Short: "Show and work on one incident: status, assignee, notes, merge, timeline",
		Example: `  vigie incident show 7
  vigie incident status 7 investigating
  vigie incident status 7 false_positive --reason "planned penetration test"
  vigie incident assign 7 alice
  vigie incident note 7 "VPN account disabled by the helpdesk at 10:40"
  vigie incident merge 7 9
  vigie incident attach 7 70301 70355
  vigie incident timeline 7 --from 2026-03-01`,
	}
	cmd.AddCommand(incidentShow(), incidentStatus(), incidentAssign(), incidentNote(), incidentMerge(false),
		incidentMerge(true), incidentAttach(), incidentTimeline())
	return cmd
}

func parseIncidentID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("incident id must be a positive number, got %q", s)
	}
	return id, nil
}

// incidentAction builds a subcommand that sends one change and prints the
// incident as it stands after it.
func incidentAction(use, short string, nargs int, body func(args []string) (method, path string, req any, err error),
	flags func(cmd *cobra.Command)) *cobra.Command {
	var rm remote
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(nargs),
		RunE: func(cmd *cobra.Command, args []string) error {
			method, path, req, err := body(args)
			if err != nil {
				return err
			}
			var inc incident.Incident
			if err := rm.call(cmd.Context(), method, path, req, &inc); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			return rm.print(out, inc, func() { printIncident(out, &inc) })
		},
	}
	rm.register(cmd)
	if flags != nil {
		flags(cmd)
	}
	return cmd
}

func incidentShow() *cobra.Command {
	return incidentAction("show ID", "Show an incident: alerts, entities, why they were joined, notes", 1,
		func(args []string) (string, string, any, error) {
			id, err := parseIncidentID(args[0])
			return "GET", fmt.Sprintf("/api/v1/incidents/%d", id), nil, err
		}, nil)
}

func incidentStatus() *cobra.Command {
	var reason string
	return incidentAction("status ID STATUS", "Move an incident to new, investigating, contained, resolved or false_positive", 2,
		func(args []string) (string, string, any, error) {
			id, err := parseIncidentID(args[0])
			return "PATCH", fmt.Sprintf("/api/v1/incidents/%d", id), api.IncidentUpdate{Status: &args[1], Reason: reason}, err
		}, func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&reason, "reason", "", "why (required for false_positive, recorded for a reopening)")
		})
}

func incidentAssign() *cobra.Command {
	return incidentAction("assign ID ANALYST", "Assign an incident (\"\" unassigns it)", 2,
		func(args []string) (string, string, any, error) {
			id, err := parseIncidentID(args[0])
			return "PATCH", fmt.Sprintf("/api/v1/incidents/%d", id), api.IncidentUpdate{Assignee: &args[1]}, err
		}, nil)
}

func incidentNote() *cobra.Command {
	return incidentAction("note ID TEXT", "Add a note to an incident", 2,
		func(args []string) (string, string, any, error) {
			id, err := parseIncidentID(args[0])
			return "POST", fmt.Sprintf("/api/v1/incidents/%d/notes", id), api.NoteRequest{Text: args[1]}, err
		}, nil)
}

func incidentMerge(split bool) *cobra.Command {
	use, short, verb := "merge INTO FROM", "Merge incident FROM into INTO", "merge"
	if split {
		use, short, verb = "split INTO FROM", "Take incident FROM back out of INTO (undo a merge)", "split"
	}
	return incidentAction(use, short, 2, func(args []string) (string, string, any, error) {
		into, err := parseIncidentID(args[0])
		if err != nil {
			return "", "", nil, err
		}
		from, err := parseIncidentID(args[1])
		return "POST", fmt.Sprintf("/api/v1/incidents/%d/%s", into, verb), api.MergeRequest{From: from}, err
	}, nil)
}

func incidentAttach() *cobra.Command {
	cmd := incidentAction("attach ID ALERT_ID...",
		"Add alerts to an incident by hand; an alert in another incident moves", 0,
		func(args []string) (string, string, any, error) {
			id, err := parseIncidentID(args[0])
			if err != nil {
				return "", "", nil, err
			}
			req := api.AttachRequest{Alerts: make([]event.ID, 0, len(args)-1)}
			for i, a := range args[1:] {
				n, err := strconv.ParseInt(a, 10, 64)
				if err != nil || n <= 0 {
					return "", "", nil, fmt.Errorf("alert %d of %d: %q is not an alert id (a stored event id, as vigie alerts shows)", i+1, len(args)-1, a)
				}
				req.Alerts = append(req.Alerts, event.ID(n))
			}
			return "POST", fmt.Sprintf("/api/v1/incidents/%d/alerts", id), req, nil
		}, nil)
	cmd.Args = cobra.MinimumNArgs(2)
	cmd.Long = `Add stored alerts to an open incident, whatever grouping decided. An alert
already in another incident moves out of it; an incident left without
alerts is marked merged into this one ("vigie incident split" brings it
back). The alerts' accounts, hosts and addresses join the incident. Prints
the incident as it stands after.`
	return cmd
}

func incidentTimeline() *cobra.Command {
	var (
		rm              remote
		from, to, kinds string
		limit           int
	)
	cmd := &cobra.Command{
		Use:   "timeline ID [QUERY]",
		Short: "The incident's alerts and the events of its accounts, hosts and addresses, newest first",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseIncidentID(args[0])
			if err != nil {
				return err
			}
			v := url.Values{}
			for k, val := range map[string]string{"from": from, "to": to, "kinds": kinds} {
				if val != "" {
					v.Set(k, val)
				}
			}
			if len(args) == 2 {
				v.Set("q", args[1])
			}
			if limit > 0 {
				v.Set("limit", strconv.Itoa(limit))
			}
			var resp api.TimelineResponse
			if err := rm.call(cmd.Context(), "GET", fmt.Sprintf("/api/v1/incidents/%d/timeline?%s", id, v.Encode()), nil, &resp); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			return rm.print(out, resp, func() {
				for _, it := range resp.Items {
					mark := " "
					if it.InIncident {
						mark = "*"
					}
					fmt.Fprintf(out, "%s %s %-6s %-8d %s\n", it.Time.UTC().Format(time.RFC3339), mark, it.Kind, it.ID, it.Title)
				}
			})
		},
	}
	rm.register(cmd)
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "earliest time: RFC 3339, a date, or a duration back from now")
	f.StringVar(&to, "to", "", "latest time (exclusive)")
	f.StringVar(&kinds, "kinds", "", "only these kinds, comma-separated: alert, event, pipeline_error")
	f.IntVar(&limit, "limit", 0, "most items (default 100)")
	return cmd
}

func printIncident(w io.Writer, inc *incident.Incident) {
	fmt.Fprintf(w, "Incident %d: %s\n", inc.ID, inc.Title)
	fmt.Fprintf(w, "  severity %s, status %s", inc.EffectiveSeverity(), inc.Status)
	if inc.Reason != "" {
		fmt.Fprintf(w, " (%s)", inc.Reason)
	}
	if inc.Assignee != "" {
		fmt.Fprintf(w, ", assigned to %s", inc.Assignee)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  activity %s → %s (dwell %s)\n", inc.First.UTC().Format(time.RFC3339), inc.Last.UTC().Format(time.RFC3339), inc.Dwell)
	if len(inc.Tactics) > 0 {
		fmt.Fprintf(w, "  tactics %s; techniques %s\n", strings.Join(inc.Tactics, ", "), strings.Join(inc.Techniques, ", "))
	}
	if inc.MergedInto != 0 {
		fmt.Fprintf(w, "  merged into incident %d\n", inc.MergedInto)
	}
	if len(inc.Related) > 0 {
		fmt.Fprintf(w, "  related incidents %v\n", inc.Related)
	}
	fmt.Fprintf(w, "\nAlerts (%d):\n", len(inc.Alerts))
	for _, a := range inc.Alerts {
		fmt.Fprintf(w, "  %s  %-6d %-9s %s\n", a.Time.UTC().Format(time.RFC3339), a.ID, a.Level, a.Title)
	}
	fmt.Fprintf(w, "\nEntities (%d):\n", len(inc.Entities))
	for _, e := range inc.Entities {
		note := ""
		switch {
		case e.Common:
			note = " (common: joins nothing)"
		case len(e.Links) == 0:
			note = " (listed, joins nothing)"
		}
		fmt.Fprintf(w, "  %-16s %-40s %d alerts%s\n", e.Field, e.Value, len(e.Alerts), note)
	}
	if len(inc.Joins) > 0 {
		fmt.Fprintln(w, "\nWhy:")
		for _, j := range inc.Joins {
			fmt.Fprintf(w, "  alert %d: %s\n", j.Alert, j.Because)
		}
	}
	if len(inc.Notes) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		for _, n := range inc.Notes {
			fmt.Fprintf(w, "  %s %s: %s\n", n.Time.UTC().Format(time.RFC3339), n.Author, n.Text)
		}
	}
}

func newScopeCommand() *cobra.Command {
	var rm remote
	cmd := &cobra.Command{
		Use:   "scope ID",
		Short: "How far did incident ID go, and was data taken? The scope report",
		Long: `Print the scope report of an incident, computed from the stored events:
the accounts and hosts involved and how the intruder moved between them,
the data they accessed, the outbound transfers with a verdict per
destination, and the telemetry gaps — the times for which there are no
logs, so nothing can be said.`,
		Example: `  vigie scope 7
  vigie scope 7 --json | jq '.transfers[] | select(.verdict == "likely_exfiltration")'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseIncidentID(args[0])
			if err != nil {
				return err
			}
			var rep scope.Report
			if err := rm.call(cmd.Context(), "GET", fmt.Sprintf("/api/v1/incidents/%d/scope", id), nil, &rep); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if rm.asJSON {
				return rm.print(out, rep, nil)
			}
			return rep.Text(out)
		},
	}
	rm.register(cmd)
	return cmd
}
