package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

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
	)
	cmd := &cobra.Command{
		Use:   "simulate --out DIR [--seed N] [--days D] [--users U]",
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
countries. The same seed gives the same bytes.`,
		Example: `  vigie simulate --out sim
  vigie simulate --out sim --seed 7 --days 14 --users 200 --json`,
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
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			sim, err := simulate.Generate(cfg)
			if err != nil {
				return err
			}
			if err := sim.WriteDir(out); err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(sim.Truth())
			}
			printSimulation(cmd.OutOrStdout(), out, sim.Truth())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "folder to write the files to")
	f.Uint64Var(&seed, "seed", 1, "random seed: the same seed gives the same files")
	f.IntVar(&days, "days", 7, fmt.Sprintf("days to simulate (at least %d; the breach takes the last 3)", simulate.MinDays))
	f.IntVar(&users, "users", 50, "members of staff")
	f.StringVar(&start, "start", simulate.DefaultStart.Format(time.RFC3339), "first instant simulated (RFC 3339, truncated to the day)")
	f.BoolVar(&asJSON, "json", false, "print truth.json instead of a summary")
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
}
