package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/retro"
)

func newIntelCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "intel",
		Short: "Import and list indicators of compromise (STIX 2.1, MISP, CSV)",
		Long: `Indicators of compromise — addresses, ranges, domains, URLs, file hashes,
accounts — are matched live on every event the server stores, and every
new indicator is also matched over the stored history (a retro-hunt). A
hit is an alert, and joins incidents like any other.

Files are STIX 2.1 bundles, MISP event JSON, or CSV with a header
(type,value[,valid_from,valid_until,confidence,description,labels]). A
malformed file is refused whole, naming the line or object at fault;
indicators Vigie cannot match (a STIX pattern with FOLLOWEDBY…) are
listed as skipped.`,
		Example: `  vigie intel import feed.stix.json
  vigie intel import --format misp --source "CERT advisory 2026-114" event.json
  vigie intel list --json
  vigie intel delete ip:203.0.113.47`,
	}
	var (
		imp            remote
		format, source string
	)
	importCmd := &cobra.Command{
		Use: "import FILE...", Short: "Import indicator files", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			for _, path := range args {
				var res api.ImportResult
				if err := importIntelFile(cmd.Context(), &imp, path, format, source, &res); err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				if err := imp.print(out, res, func() {
					fmt.Fprintf(out, "%s: %d indicators added, %d updated, %d skipped\n", path, res.Added, res.Updated, len(res.Skipped))
					for _, s := range res.Skipped {
						fmt.Fprintf(out, "  skipped %s: %s\n", s.Object, s.Reason)
					}
					if res.Hunt != nil {
						fmt.Fprintf(out, "  matching them over the stored history: hunt %s (vigie hunts)\n", res.Hunt.ID)
					}
				}); err != nil {
					return err
				}
			}
			return nil
		},
	}
	imp.register(importCmd)
	importCmd.Flags().StringVar(&format, "format", "", "stix, misp or csv (default: guessed from the file)")
	importCmd.Flags().StringVar(&source, "source", "", "the feed's name, kept on every indicator (default: the file name)")

	var ls remote
	listCmd := &cobra.Command{
		Use: "list", Short: "List the indicators", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp api.IndicatorsResponse
			if err := ls.call(cmd.Context(), "GET", "/api/v1/intel", nil, &resp); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			return ls.print(out, resp, func() {
				for _, ind := range resp.Indicators {
					until := "open"
					if !ind.ValidUntil.IsZero() {
						until = ind.ValidUntil.UTC().Format(time.RFC3339)
					}
					fmt.Fprintf(out, "%-7s %-40s conf %3d  until %-20s %s  (%s)\n", ind.Type, ind.Value, ind.Confidence, until, ind.Source, ind.ID)
				}
			})
		},
	}
	ls.register(listCmd)

	var del remote
	delCmd := &cobra.Command{
		Use: "delete ID", Short: "Delete an indicator", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return del.call(cmd.Context(), "DELETE", "/api/v1/intel/"+url.PathEscape(args[0]), nil, nil)
		},
	}
	del.register(delCmd)
	cmd.AddCommand(importCmd, listCmd, delCmd)
	return cmd
}

// importIntelFile posts one file as it is: the server parses it.
func importIntelFile(ctx context.Context, rm *remote, path, format, source string, dst *api.ImportResult) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	token, err := rm.client.resolveToken()
	if err != nil {
		return err
	}
	v := url.Values{"source": {source}}
	if source == "" {
		v.Set("source", filepath.Base(path))
	}
	if format != "" {
		v.Set("format", format)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", rm.client.url("/api/v1/intel?"+v.Encode()), bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("contacting server: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return apiError(resp, body)
	}
	return jsonUnmarshal(body, dst)
}

func newHuntsCommand() *cobra.Command {
	var rm remote
	cmd := &cobra.Command{
		Use:   "hunts",
		Short: "List the retro-hunts of a server, with their progress; stop one",
		Example: `  vigie hunts
  vigie hunts stop 4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var resp api.HuntsResponse
			if err := rm.call(cmd.Context(), "GET", "/api/v1/hunts", nil, &resp); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			return rm.print(out, resp, func() {
				for _, j := range resp.Hunts {
					printJob(out, j)
				}
				if len(resp.Hunts) == 0 {
					fmt.Fprintln(out, "no hunts")
				}
			})
		},
	}
	rm.register(cmd)
	var st remote
	stop := &cobra.Command{
		Use: "stop ID", Short: "Stop a running hunt; the alerts it found are kept", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var j retro.Job
			if err := st.call(cmd.Context(), "DELETE", "/api/v1/hunts/"+url.PathEscape(args[0]), nil, &j); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			return st.print(out, j, func() { printJob(out, &j) })
		},
	}
	st.register(stop)
	cmd.AddCommand(stop)
	return cmd
}

func printJob(w io.Writer, j *retro.Job) {
	fmt.Fprintf(w, "%-5s %-8s %5.1f%%  %9d events  %5d alerts  by %-10s %s  %s\n", j.ID, j.State, 100*j.Progress(),
		j.Scanned, j.Alerts, j.RequestedBy, j.Started.UTC().Format(time.RFC3339), j.Name)
}
