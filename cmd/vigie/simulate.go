package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/simulate"
)

func newSimulateCommand() *cobra.Command {
	var (
		out    string
		seed   uint64
		days   int
		users  int
		start  string
		asJSON bool
		live   bool
		speed  float64
		from   string
		client clientFlags
	)
	cmd := &cobra.Command{
		Use:   "simulate (--out DIR | --live --server URL) [--seed N] [--days D] [--users U]",
		Short: "Generate a labelled breach in a synthetic organisation's logs",
		Long: `Generate a week of logs of a synthetic international court — staff in a dozen
countries, workstations, Windows and Linux servers, a file share, AWS and
Microsoft 365 — with one breach woven in: password spraying, a login from an
unusual country, command and control, discovery, lateral movement, staging,
exfiltration and logging turned off.

The files are in the formats Vigie reads: auth.log (syslog), windows.jsonl
(Winlogbeat 7), Zeek conn/dns/http/ssl logs, cloudtrail.json,
entra_signins.jsonl (Microsoft Graph signIn) and m365_audit.jsonl (Office 365
Management Activity). labels.jsonl labels every malicious record by file and
line, truth.json summarises the breach, geo.csv maps the addresses to
countries. The same seed gives the same bytes.

With --live, the same records are sent to a running server (POST
/api/v1/events, one request per source and format) in event-time order,
--speed simulated seconds per real second, so that the breach unfolds live:
at the default 3600, a week takes under three minutes. Entra and Microsoft
365 records go as plain JSON when this build has no decoder for them.`,
		Example: `  vigie simulate --out sim
  vigie simulate --out sim --seed 7 --days 14 --users 200 --json
  vigie simulate --live --server http://127.0.0.1:8080 --speed 7200`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := simulate.Config{Seed: seed, Days: days, Users: users}
			if start != "" {
				t, err := time.Parse(time.RFC3339, start)
				if err != nil {
					return fmt.Errorf("--start: %w", err)
				}
				cfg.Start = t
			}
			if out == "" && !live {
				return fmt.Errorf("nothing to do: give --out DIR to write files, or --live to send them to a server")
			}
			var fromTime time.Time
			if from != "" {
				t, err := time.Parse(time.RFC3339, from)
				if err != nil {
					return fmt.Errorf("--from: %w", err)
				}
				fromTime = t
			}
			if speed <= 0 {
				return fmt.Errorf("--speed %v: want simulated seconds per real second, more than 0", speed)
			}
			var token string
			if live {
				var err error
				if token, err = client.resolveToken(); err != nil {
					return err
				}
			}
			sim, err := simulate.Generate(cfg)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if out != "" {
				if err := sim.WriteDir(out); err != nil {
					return err
				}
				if asJSON {
					enc := json.NewEncoder(w)
					enc.SetIndent("", "  ")
					if err := enc.Encode(sim.Truth()); err != nil {
						return err
					}
				} else {
					printSimulation(w, out, sim.Truth())
				}
			}
			if !live {
				return nil
			}
			return playLive(cmd.Context(), w, sim, &client, token, speed, fromTime, asJSON)
		},
	}
	client.register(cmd)
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "folder to write the files to")
	f.Uint64Var(&seed, "seed", 1, "random seed: the same seed gives the same files")
	f.IntVar(&days, "days", 7, fmt.Sprintf("days to simulate (at least %d; the breach takes the last 3)", simulate.MinDays))
	f.IntVar(&users, "users", 50, "members of staff")
	f.StringVar(&start, "start", simulate.DefaultStart.Format(time.RFC3339), "first instant simulated (RFC 3339, truncated to the day)")
	f.BoolVar(&asJSON, "json", false, "print truth.json instead of a summary, and the live replay's result as JSON")
	f.BoolVar(&live, "live", false, "send the records to a server (--server, --token) as they fall due")
	f.Float64Var(&speed, "speed", 3600, "with --live: simulated seconds per real second")
	f.StringVar(&from, "from", "", "with --live: skip records before this time (RFC 3339)")
	return cmd
}

// printSimulation prints the files written and the breach timeline.
func printSimulation(w io.Writer, dir string, t simulate.Truth) {
	fmt.Fprintf(w, "%s: %d days from %s, %d staff, seed %d\n\n", dir, t.Days, t.Start.Format("2006-01-02"), t.Users, t.Seed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tFORMAT\tRECORDS\tLABELLED")
	for _, f := range t.Files {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", f.Name, f.Format, f.Records, f.Labelled)
	}
	tw.Flush()
	b := t.Breach
	fmt.Fprintf(w, "\nbreach: %s (%s) from %s (%s); workstation %s; exfiltration to %s (%s, %d bytes); C2 %s\n\n",
		b.Account.UserName, b.Account.UPN, b.AttackerIP, b.AttackerCountry, b.Workstation,
		b.Exfiltration.DestinationDomain, b.Exfiltration.DestinationIP, b.Exfiltration.Bytes, b.C2.Domain)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tSTART\tEND\tEVENTS\tTECHNIQUES")
	for _, s := range b.Stages {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", s.Stage, s.Start.Format(time.DateTime), s.End.Format(time.DateTime), s.Events, strings.Join(s.Techniques, " "))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nsilenced: %s from %s until %s; CloudTrail from %s until %s\n",
		b.Silenced.Host, b.Silenced.At.Format(time.DateTime), b.Silenced.Until.Format(time.DateTime),
		b.CloudTrail.At.Format(time.DateTime), b.CloudTrail.Until.Format(time.DateTime))
	var files []string
	for _, f := range t.Files {
		files = append(files, filepath.Join(dir, f.Name))
	}
	fmt.Fprintf(w, "\nlabels in %s, the breach in %s. To hunt over the event files:\n  vigie hunt --detectors all %s\n",
		filepath.Join(dir, simulate.FileLabels), filepath.Join(dir, simulate.FileTruth), strings.Join(files, " "))
}

// playLive replays sim to the server, printing each breach stage as it
// begins.
func playLive(ctx context.Context, w io.Writer, sim *simulate.Simulation, client *clientFlags, token string, speed float64, from time.Time, asJSON bool) error {
	reg := detect.New(detect.Config{})
	post := &poster{client: client, token: token, http: &http.Client{Timeout: time.Minute}}
	seen := map[string]bool{}
	stages := map[string]simulate.StageTruth{}
	for _, st := range sim.Truth().Breach.Stages {
		stages[st.Stage] = st
	}
	started := time.Now()
	if !asJSON {
		fmt.Fprintf(w, "replaying to %s at %gx: %s of events in %s\n", client.server, speed,
			sim.Truth().End.Sub(sim.Truth().Start), time.Duration(float64(sim.Truth().End.Sub(sim.Truth().Start))/speed).Round(time.Second))
	}
	st, err := sim.Play(ctx, simulate.PlayConfig{
		Speed: speed,
		From:  from,
		Send: func(ctx context.Context, b simulate.Batch) error {
			format := b.Format
			if _, ok := reg.ByName(format); !ok {
				format = detect.JSON
			}
			for _, l := range b.Labels {
				if st, ok := stages[l.Stage]; ok && !seen[l.Stage] && !asJSON {
					fmt.Fprintf(w, "%s  %-15s %s\n", st.Start.Format(time.DateTime), st.Stage, strings.Join(st.Techniques, " "))
				}
				seen[l.Stage] = true
			}
			return post.send(ctx, format, "simulate/"+b.Source, b.Body)
		},
	})
	result := struct {
		Records int     `json:"records"`
		Batches int     `json:"batches"`
		Labels  int     `json:"labelled"`
		Seconds float64 `json:"seconds"`
		Error   string  `json:"error,omitempty"`
	}{st.Records, st.Batches, st.Labels, time.Since(started).Seconds(), ""}
	if err != nil {
		result.Error = err.Error()
	}
	if asJSON {
		json.NewEncoder(w).Encode(result)
	} else {
		fmt.Fprintf(w, "sent %d records (%d labelled) in %d requests in %s\n", st.Records, st.Labels, st.Batches, time.Since(started).Round(time.Millisecond))
	}
	return err
}

// poster sends bodies of one format to POST /api/v1/events, retrying
// while the server answers 429 or 503.
type poster struct {
	client *clientFlags
	token  string
	http   *http.Client
}

func (p *poster) send(ctx context.Context, format, source string, body []byte) error {
	backoff := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.client.url("/api/v1/events?format="+url.QueryEscape(format)), bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+p.token)
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("X-Vigie-Source", source)
		resp, err := p.http.Do(req)
		if err != nil {
			if ctx.Err() != nil || attempt >= 5 {
				return fmt.Errorf("sending events: %w", err)
			}
		} else {
			answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				return nil
			case http.StatusTooManyRequests, http.StatusServiceUnavailable:
				if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
					backoff = time.Duration(secs) * time.Second
				}
				if attempt >= 30 {
					return apiError(resp, answer)
				}
			default:
				return apiError(resp, answer)
			}
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}
