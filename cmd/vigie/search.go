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
	"github.com/vigie-sec/vigie/internal/event"
)

func newSearchCommand() *cobra.Command {
	var (
		client        clientFlags
		from, to      string
		limit         int
		count, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "search [flags] QUERY",
		Short: "Search stored events",
		Long: `Search the events stored by a Vigie server, newest first.

The query language is the Kibana/Lucene style: field:value, "quoted
phrases", wildcards (*, ?), ranges field:[a TO b] and field:>=N, AND, OR,
NOT, parentheses; bare words search the message text. An empty query or *
matches everything.`,
		Example: `  vigie search 'user.name:root AND event.outcome:failure'
  vigie search --from 24h --count 'source.ip:183.62.140.253'
  vigie search --json '"Failed password" AND NOT user.name:admin' | jq .
  vigie search 'destination.port:[1 TO 1024] AND source.ip:10.0.0.*'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			token, err := client.resolveToken()
			if err != nil {
				return err
			}
			v := url.Values{}
			if len(args) == 1 {
				v.Set("q", args[0])
			}
			if from != "" {
				v.Set("from", from)
			}
			if to != "" {
				v.Set("to", to)
			}
			if limit > 0 {
				v.Set("limit", strconv.Itoa(limit))
			}
			if count {
				v.Set("count", "true")
			}
			out := cmd.OutOrStdout()
			if count {
				var c api.CountResponse
				if _, err := client.get(cmd.Context(), token, "/api/v1/events", v, &c); err != nil {
					return err
				}
				if asJSON {
					return json.NewEncoder(out).Encode(c)
				}
				_, err := fmt.Fprintln(out, c.Count)
				return err
			}
			var sr api.SearchResponse
			if body, err := client.get(cmd.Context(), token, "/api/v1/events", v, &sr); err != nil {
				var e api.Error
				if json.Unmarshal(body, &e) == nil && e.Position != nil && len(args) == 1 {
					return fmt.Errorf("%w\n  %s\n  %s^", err, args[0], strings.Repeat(" ", *e.Position))
				}
				return err
			}
			enc := json.NewEncoder(out)
			for _, e := range sr.Events {
				if asJSON {
					if err := enc.Encode(e); err != nil {
						return err
					}
					continue
				}
				if _, err := fmt.Fprintln(out, summary(e)); err != nil {
					return err
				}
			}
			return nil
		},
	}
	client.register(cmd)
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "earliest event time: RFC 3339, a date, or a duration back from now (15m, 24h, 7d)")
	f.StringVar(&to, "to", "", "latest event time (exclusive), same forms as --from")
	f.IntVar(&limit, "limit", 0, "most events to print (default 100, at most 10000)")
	f.BoolVar(&count, "count", false, "print only the number of matching events")
	f.BoolVar(&asJSON, "json", false, "print events as JSON lines")
	return cmd
}

// summary is the one-line text form of an event: time, source, then the
// most telling fields, then the message.
func summary(e *event.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %-6d %s", e.Time.UTC().Format(time.RFC3339), e.ID, e.Source)
	if e.Kind == event.KindPipelineError {
		fmt.Fprintf(&b, "  MALFORMED(%s)", e.ParseError)
	}
	for _, name := range []string{event.EventAction, event.EventOutcome, event.UserName, event.SourceIP, event.HostName} {
		if v, ok := e.Get(name); ok && v != "" {
			fmt.Fprintf(&b, "  %s=%s", name, v)
		}
	}
	msg := e.Message()
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	b.WriteString("  ")
	b.WriteString(strings.ReplaceAll(msg, "\n", " "))
	return b.String()
}
