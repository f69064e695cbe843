package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/sigma"
	"github.com/vigie-sec/vigie/internal/sigma/logsource"
)

func newRulesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Check, test and explain Sigma rules",
	}
	cmd.AddCommand(newRulesLintCommand(), newRulesTestCommand(), newRulesLogsourcesCommand())
	return cmd
}

// detectConfig is the detection configuration of the commands that take
// --logsources.
func detectConfig(logsources string) (detect.Config, error) {
	var cfg detect.Config
	if logsources != "" {
		m, err := loadLogsources(logsources)
		if err != nil {
			return cfg, err
		}
		cfg.Sources = m
	}
	return cfg, nil
}

// loadLogsources reads a user mapping file and merges it over the
// defaults.
func loadLogsources(path string) (*logsource.Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("log source mapping: %w", err)
	}
	m, err := logsource.Parse(path, b)
	if err != nil {
		return nil, err
	}
	return logsource.Default().Merge(m), nil
}

func newRulesLintCommand() *cobra.Command {
	var (
		asJSON, quiet bool
		logsources    string
	)
	cmd := &cobra.Command{
		Use:   "lint [flags] PATH...",
		Short: "Say for every rule whether Vigie evaluates it, and why not",
		Long: `Load Sigma rule files and folders and list every rule as:

  ok            parsed and evaluated;
  unsupported   valid, but uses something Vigie does not evaluate (the
                reason says what: a log source with no mapping, a regular
                expression construct Go's RE2 lacks, an expand placeholder
                without values…);
  invalid       not valid Sigma (file:line:col: message).

The exit status is 1 when a rule is invalid.`,
		Example: `  vigie rules lint sigma/rules
  vigie rules lint --json sigma/rules hayabusa-rules | jq 'select(.status != "ok")'
  vigie rules lint -q my-rules/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := detectConfig(logsources)
			if err != nil {
				return err
			}
			rs, err := detect.Load(cfg, args...)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				for _, r := range rs.Reports {
					enc.Encode(r)
				}
			} else {
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				for _, r := range rs.Reports {
					if quiet && r.Status == detect.StatusOK {
						continue
					}
					where := fmt.Sprintf("%s:%d", r.File, r.Line)
					line := fmt.Sprintf("%s\t%s\t%s", r.Status, where, r.Title)
					if r.Reason != "" {
						line += ": " + r.Reason
					}
					fmt.Fprintln(tw, line)
				}
				tw.Flush()
				fmt.Fprintln(cmd.ErrOrStderr(), rs.Summary())
			}
			if n := rs.Counts()[detect.StatusInvalid]; n > 0 {
				cmd.SilenceUsage = true
				return fmt.Errorf("%d invalid rules", n)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per rule: file, line, id, title, kind, status, reason")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "list only the rules that are not ok")
	cmd.Flags().StringVar(&logsources, "logsources", "", "YAML file of log source mappings added to the defaults")
	return cmd
}

func newRulesTestCommand() *cobra.Command {
	var (
		logsources string
		rulePaths  []string
	)
	cmd := &cobra.Command{
		Use:   "test PATH...",
		Short: "Run detection test cases (txtar: rules, events, expected detections)",
		Long: `Run test cases written as txtar files (*.txtar): one or more rule files,
an events file, and the detections they must give. Folders are searched
for *.txtar files.

  Four failed logons, then a success.
  -- rule.yml --
  title: Failed logon
  id: 5b0b75dc-9190-4047-b9a8-14164cee8a31
  logsource: {product: windows, service: security}
  detection:
      selection: {EventID: 4625}
      condition: selection
  -- events.jsonl --
  {"EventID": 4625, "Channel": "Security", "TargetUserName": "alice"}
  {"EventID": 4624, "Channel": "Security", "TargetUserName": "alice"}
  -- want --
  match 5b0b75dc-9190-4047-b9a8-14164cee8a31 1

"match RULE RECORDS" lists exactly the records (1-based, in the events
file) a rule matches; "correlation RULE N" the number of hits of a
correlation rule. RULE is the rule id (or the title, spaces as "_").
Rules not listed must not fire. With --rules, the rules of those files and
folders are added to every case, and a case may leave its rules section
out: that is how a rule folder is tested against its cases. The exit
status is 1 when a case fails.`,
		Example: `  vigie rules test my-rules/tests
  vigie rules test --rules rules rules/tests`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := detectConfig(logsources)
			if err != nil {
				return err
			}
			var extra []*sigma.Rule
			if len(rulePaths) > 0 {
				var err error
				if extra, err = sigma.Load(rulePaths...); err != nil {
					return err
				}
			}
			var files []string
			for _, a := range args {
				err := filepath.WalkDir(a, func(path string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() && (path == a || strings.HasSuffix(path, ".txtar")) {
						files = append(files, path)
					}
					return err
				})
				if err != nil {
					return err
				}
			}
			if len(files) == 0 {
				return fmt.Errorf("no *.txtar cases in %s", strings.Join(args, ", "))
			}
			failed := runCases(cmd.OutOrStdout(), cfg, extra, files)
			fmt.Fprintf(cmd.OutOrStdout(), "%d cases, %d failed\n", len(files), failed)
			if failed > 0 {
				cmd.SilenceUsage = true
				return fmt.Errorf("%d of %d cases failed", failed, len(files))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&logsources, "logsources", "", "YAML file of log source mappings added to the defaults")
	cmd.Flags().StringArrayVar(&rulePaths, "rules", nil, "rule file or folder added to every case (repeatable)")
	return cmd
}

// runCases runs each case file, prints ok or FAIL with the difference, and
// returns the number of failures.
func runCases(w io.Writer, cfg detect.Config, extra []*sigma.Rule, files []string) int {
	failed := 0
	for _, f := range files {
		c, err := detect.ReadCase(f)
		var got []string
		var reports []detect.RuleReport
		if err == nil {
			got, reports, err = c.Run(cfg, extra...)
		}
		for _, r := range reports {
			err = errors.Join(err, fmt.Errorf("rule %s:%d %s: %s", r.File, r.Line, r.Status, r.Reason))
		}
		if err == nil && !slices.Equal(got, c.Want) {
			err = fmt.Errorf("got:\n    %s\n  want:\n    %s", strings.Join(orNone(got), "\n    "), strings.Join(orNone(c.Want), "\n    "))
		}
		if err != nil {
			failed++
			fmt.Fprintf(w, "FAIL  %s\n  %v\n", f, err)
			continue
		}
		fmt.Fprintf(w, "ok    %s\n", f)
	}
	return failed
}

func orNone(lines []string) []string {
	if len(lines) == 0 {
		return []string{"(nothing)"}
	}
	return lines
}

func newRulesLogsourcesCommand() *cobra.Command {
	var (
		asJSON     bool
		logsources string
	)
	cmd := &cobra.Command{
		Use:   "logsources",
		Short: "Show how Sigma log sources map to Vigie's events",
		Long: `Print the log source mapping: for each Sigma log source (category,
product, service), the conditions an event must meet to be in it and the
field renames its rules get (Security 4688's NewProcessName for Image…).
The defaults follow SigmaHQ's own regression mapping; --logsources adds
or overrides entries from a YAML file in the same format.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m := logsource.Default()
			if logsources != "" {
				var err error
				if m, err = loadLogsources(logsources); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				for _, e := range m.Entries() {
					enc.Encode(e)
				}
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tCATEGORY\tPRODUCT\tSERVICE\tCONDITIONS\tFIELDS")
			for _, e := range m.Entries() {
				var conds []string
				for _, c := range e.Conditions {
					conds = append(conds, c.Field+"="+strings.Join(c.Values, "|"))
				}
				var fields []string
				for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
					fields = append(fields, k+"→"+e.Fields[k])
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, dash(e.Category), dash(e.Product), dash(e.Service),
					strings.Join(conds, " "), strings.Join(fields, " "))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "one JSON object per entry")
	cmd.Flags().StringVar(&logsources, "logsources", "", "YAML file of log source mappings added to the defaults")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
