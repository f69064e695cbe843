package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigie-sec/vigie/internal/api"
)

func newAlertsCommand() *cobra.Command {
	var (
		client   clientFlags
		from, to string
		level    string
		limit    int
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "alerts [flags] [QUERY]",
		Short: "List the alerts a Vigie server raised",
		Long: `List the alerts raised by a Vigie server's live detection, newest first.
Each names its rule, level and ATT&CK techniques, and the ids of its
evidence events (vigie search '_id:ID' or GET /api/v1/events/ID shows
them). QUERY narrows the alerts with the search language, on the alert's
fields (rule.name, rule.id, user.name, host.name, source.ip, …).`,
		Example: `  vigie alerts
  vigie alerts --level high --from 24h
  vigie alerts --json 'user.name:alice' | jq .rule_title`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			token, err := client.resolveToken()
			if err != nil {
				return err
			}
			v := url.Values{}
			for k, val := range map[string]string{"from": from, "to": to, "level": level} {
				if val != "" {
					v.Set(k, val)
				}
			}
			if len(args) == 1 {
				v.Set("q", args[0])
			}
			if limit > 0 {
				v.Set("limit", strconv.Itoa(limit))
			}
			var resp api.AlertsResponse
			if _, err := client.get(cmd.Context(), token, "/api/v1/alerts", v, &resp); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			enc := json.NewEncoder(out)
			for _, a := range resp.Alerts {
				if asJSON {
					if err := enc.Encode(a); err != nil {
						return err
					}
					continue
				}
				line := fmt.Sprintf("%s  %-6d %-13s %s", a.Time.UTC().Format(time.RFC3339), a.ID, a.Level, a.RuleTitle)
				for _, name := range []string{"user.name", "host.name", "source.ip"} {
					if vs := a.Entities[name]; len(vs) > 0 {
						line += "  " + name + "=" + strings.Join(vs, ",")
					}
				}
				line += "  evidence=" + strings.Join(a.Evidence, ",")
				fmt.Fprintln(out, line)
			}
			return nil
		},
	}
	client.register(cmd)
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "earliest alert time: RFC 3339, a date, or a duration back from now (15m, 24h, 7d)")
	f.StringVar(&to, "to", "", "latest alert time (exclusive)")
	f.StringVar(&level, "level", "", "lowest level: informational, low, medium, high, critical")
	f.IntVar(&limit, "limit", 0, "most alerts to print (default 100)")
	f.BoolVar(&asJSON, "json", false, "print alerts as JSON lines")
	return cmd
}
