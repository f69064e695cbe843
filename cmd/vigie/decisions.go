package main

import (
	"fmt"
	"io"
	"net/url"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/respond"
)

func newDecideCommand() *cobra.Command {
	var (
		rm  remote
		req api.DecisionRequest
	)
	cmd := &cobra.Command{
		Use:   "decide ACTION SCOPE VALUE",
		Short: "Block an address or range, disable an account, or isolate a host, for a time",
		Long: `Make a response decision. ACTION and SCOPE are one of:

  block ip ADDRESS       block range CIDR
  disable account NAME   isolate host NAME

The server's executors enforce it: CrowdSec bouncers pull blocks from
/v1/decisions/stream, webhooks and local commands receive it as JSON. It
ends after --duration (default from response.default_duration, 4h) or
when revoked ("vigie decisions revoke ID"). Allow-listed networks,
accounts and hosts (response.allow) are refused. Every decision is in the
audit log.`,
		Example: `  vigie decide block ip 203.0.113.47 --duration 24h --reason "password spraying, incident 7" --incident 7
  vigie decide disable account j.dekker --reason "credentials stolen"
  vigie decide isolate host WS-003 --dry-run`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Action, req.Scope, req.Value = args[0], args[1], args[2]
			var d respond.Decision
			if err := rm.call(cmd.Context(), "POST", "/api/v1/decisions", req, &d); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			return rm.print(out, d, func() { printDecision(out, &d) })
		},
	}
	rm.register(cmd)
	f := cmd.Flags()
	f.StringVar(&req.Duration, "duration", "", "how long it holds: 30m, 4h, 168h (default: the server's)")
	f.StringVar(&req.Reason, "reason", "", "why, for the audit log and the executors")
	f.StringVar(&req.Incident, "incident", "", "the incident it answers")
	f.BoolVar(&req.DryRun, "dry-run", false, "record what would be done, without enforcing it")
	return cmd
}

func newDecisionsCommand() *cobra.Command {
	var (
		rm           remote
		all          bool
		scope, value string
	)
	cmd := &cobra.Command{
		Use:   "decisions",
		Short: "List response decisions (active ones by default) and revoke them",
		Example: `  vigie decisions
  vigie decisions --all --json
  vigie decisions revoke 12 --reason "false positive: the office egress"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := url.Values{}
			if all {
				v.Set("active", "false")
			}
			if scope != "" {
				v.Set("scope", scope)
			}
			if value != "" {
				v.Set("value", value)
			}
			var resp api.DecisionsResponse
			if err := rm.call(cmd.Context(), "GET", "/api/v1/decisions?"+v.Encode(), nil, &resp); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			return rm.print(out, resp, func() {
				for _, d := range resp.Decisions {
					printDecisionLine(out, d)
				}
				if len(resp.Decisions) == 0 {
					fmt.Fprintln(out, "no decisions")
				}
			})
		},
	}
	rm.register(cmd)
	f := cmd.Flags()
	f.BoolVar(&all, "all", false, "include ended, revoked and dry-run decisions")
	f.StringVar(&scope, "scope", "", "only this scope: ip, range, account, host")
	f.StringVar(&value, "value", "", "only this value (with --scope)")
	cmd.AddCommand(newRevokeCommand())
	return cmd
}

func newRevokeCommand() *cobra.Command {
	var (
		rm     remote
		reason string
	)
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "End a decision now; the executors undo it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var d respond.Decision
			if err := rm.call(cmd.Context(), "DELETE", "/api/v1/decisions/"+url.PathEscape(args[0]), api.RevokeRequest{Reason: reason}, &d); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			return rm.print(out, d, func() { printDecision(out, &d) })
		},
	}
	rm.register(cmd)
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit log")
	return cmd
}

func printDecisionLine(w io.Writer, d *respond.Decision) {
	state := "active"
	switch {
	case d.DryRun:
		state = "dry-run"
	case !d.Revoked.IsZero():
		state = "revoked"
	case d.Expired || time.Now().After(d.Expires):
		state = "expired"
	}
	fmt.Fprintf(w, "%-5s %-8s %-8s %-7s %-30s until %s  by %s  %s\n", d.ID, state, d.Action, d.Scope, d.Value,
		d.Expires.UTC().Format(time.RFC3339), d.Actor, d.Reason)
}

func printDecision(w io.Writer, d *respond.Decision) {
	printDecisionLine(w, d)
	names := make([]string, 0, len(d.Executions))
	for n := range d.Executions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		x := d.Executions[n]
		fmt.Fprintf(w, "      %s: %s %s, %d attempts", n, x.Op, x.State, x.Attempts)
		if x.LastError != "" {
			fmt.Fprintf(w, ", last error: %s", x.LastError)
		}
		fmt.Fprintln(w)
	}
}

func newBouncersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bouncers",
		Short: "Manage the API keys of CrowdSec bouncers that enforce Vigie's blocks",
		Long: `CrowdSec bouncers (firewall, nginx, Traefik…) enforce Vigie's block decisions
unchanged: point their api_url at the Vigie server and give them a key made
here. The server must have response.executors.bouncer.enabled: true.`,
		Example: `  vigie bouncers add edge-firewall
  vigie bouncers list
  vigie bouncers remove edge-firewall`,
	}
	var rmAdd, rmList, rmDel remote
	add := &cobra.Command{
		Use: "add NAME", Short: "Create a bouncer and print its key (shown once)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var k api.BouncerKey
			if err := rmAdd.call(cmd.Context(), "POST", "/api/v1/bouncers", api.BouncerRequest{Name: args[0]}, &k); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			return rmAdd.print(out, k, func() {
				fmt.Fprintf(out, "API key for bouncer %s (shown once; put it in the bouncer's api_key):\n\n    %s\n", k.Name, k.Key)
			})
		},
	}
	list := &cobra.Command{
		Use: "list", Short: "List bouncers", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp struct {
				Bouncers []struct {
					Name    string    `json:"name"`
					Created time.Time `json:"created"`
				} `json:"bouncers"`
			}
			if err := rmList.call(cmd.Context(), "GET", "/api/v1/bouncers", nil, &resp); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			return rmList.print(out, resp, func() {
				for _, b := range resp.Bouncers {
					fmt.Fprintf(out, "%-30s created %s\n", b.Name, b.Created.UTC().Format(time.RFC3339))
				}
			})
		},
	}
	del := &cobra.Command{
		Use: "remove NAME", Short: "Remove a bouncer; its key stops working", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return rmDel.call(cmd.Context(), "DELETE", "/api/v1/bouncers/"+url.PathEscape(args[0]), nil, nil)
		},
	}
	rmAdd.register(add)
	rmList.register(list)
	rmDel.register(del)
	cmd.AddCommand(add, list, del)
	return cmd
}
