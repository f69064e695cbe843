package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/evidence/bundle"
	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// evidenceKeyFile is the instance's signing key, in the data folder.
const evidenceKeyFile = "evidence.key"

// openEvidence starts the integrity log over the store. A log that no
// longer matches its latest checkpoint does not stop the server: an
// intruder who rewrote history must not also silence the monitoring.
// The rewrite is reported loudly and in the audit log, and the server
// runs without the integrity log (no checkpoints, proofs or exports, whose
// routes then answer 404) until an operator has kept a copy and moved the
// data folder aside; vigie verify --data says what changed.
func openEvidence(ctx context.Context, cfg *serveConfig, st *sqlite.Store, reg prometheus.Registerer, log *slog.Logger, stderr io.Writer) (*evidence.Log, *evidence.Key, error) {
	keyPath := filepath.Join(cfg.Data, evidenceKeyFile)
	_, statErr := os.Stat(keyPath)
	key, err := evidence.LoadOrCreateKey(keyPath)
	if err != nil {
		return nil, nil, err
	}
	if errors.Is(statErr, os.ErrNotExist) {
		fmt.Fprintf(stderr, "Evidence signing key created in %s. Its public key, to give to whoever must check this\n"+
			"instance's checkpoints and case bundles (vigie verify --key):\n\n    %s\n\n", keyPath, key.Public())
	}
	ecfg := cfg.Evidence
	ecfg.Registerer = reg
	l, err := evidence.Open(ctx, st, key, ecfg)
	if errors.Is(err, evidence.ErrRewritten) {
		log.Error("INTEGRITY LOG REWRITTEN: run vigie verify --data to see where", "err", err)
		detail := fmt.Sprintf("{\"error\":%q}", err.Error())
		if aerr := st.AppendAudit(ctx, &store.AuditEntry{Actor: "system", Action: "evidence.rewritten", Detail: []byte(detail)}); aerr != nil {
			return nil, nil, errors.Join(err, aerr)
		}
		fmt.Fprintf(stderr, "\nWARNING: %v\nThe store's history no longer matches the checkpoint signed from it. Vigie goes on collecting and\ndetecting, but signs no checkpoint and exports no case until this is dealt with: keep a copy of\nthe data folder for the investigation and run \"vigie verify --data %s\" to see what changed.\n\n", err, cfg.Data)
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("evidence: %w", err)
	}
	return l, key, nil
}

func newVerifyCommand() *cobra.Command {
	var (
		data, keyText string
		witnesses     []string
		asJSON        bool
	)
	cmd := &cobra.Command{
		Use:   "verify [BUNDLE]",
		Short: "Check a case bundle offline, or a data folder against its integrity log",
		Long: `With a bundle (.tar.gz or .zip), check it offline with only the bundle and the
instance's public key (--key): the manifest's signature, every file's
SHA-256 and size, that no file was added or removed, the checkpoint's
signature, and the inclusion proof of every event, alert and audit entry.
Each failure is named with its file and line. Hostile archives (path
traversal, links, decompression bombs, oversized) are refused unread.

With --data, re-hash every stored event, alert and audit entry of a data
folder (vigie serve stopped) against its integrity log and its signed
checkpoints, and those of the witness files given, and report each record
altered, removed or inserted, by id and position. Events deleted by
retention are counted as pruned, not as findings.

Without --key, the key is the one the bundle or the data folder names:
that only shows the evidence is consistent with itself. Give the key you
received from the instance (printed at its first start, served at
/api/v1/checkpoints) to show it comes from that instance.

The exit status is 0 when everything verifies, 1 otherwise.`,
		Example: `  vigie verify case-7.tar.gz --key vigie-ed25519:Mvy2…
  vigie verify --data vigie-data --witness /mnt/witness/checkpoints.log`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var pub evidence.PublicKey
			if keyText != "" {
				var err error
				if pub, err = evidence.ParsePublicKey(keyText); err != nil {
					return fmt.Errorf("--key: %w", err)
				}
			}
			out := cmd.OutOrStdout()
			switch {
			case len(args) == 1 && data != "":
				return errors.New("give a bundle or --data, not both")
			case len(args) == 1:
				return verifyBundle(out, args[0], pub, asJSON)
			case data != "":
				return verifyData(cmd.Context(), out, cmd.ErrOrStderr(), data, pub, witnesses, asJSON)
			}
			return errors.New("give a bundle to check, or --data DIR")
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "data folder to check against its integrity log")
	f.StringVar(&keyText, "key", "", "the instance's public key (vigie-ed25519:…)")
	f.StringArrayVar(&witnesses, "witness", nil, "witness file of checkpoints to check the data folder against (repeatable)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// errNotVerified makes the exit status 1 after a report was printed.
var errNotVerified = errors.New("verification failed")

func verifyBundle(out io.Writer, path string, pub evidence.PublicKey, asJSON bool) error {
	rep, err := bundle.Verify(path, pub, bundle.Limits{})
	if err != nil {
		return err
	}
	if asJSON {
		if err := writeJSONTo(out, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(out, rep)
	}
	if !rep.OK() {
		return errNotVerified
	}
	return nil
}

func verifyData(ctx context.Context, out, stderr io.Writer, data string, pub evidence.PublicKey, witnessFiles []string, asJSON bool) error {
	if pub == nil {
		keyPath := filepath.Join(data, evidenceKeyFile)
		if _, err := os.Stat(keyPath); err != nil {
			return fmt.Errorf("no signing key in %s (%w): give the instance's public key with --key", data, err)
		}
		key, err := evidence.LoadOrCreateKey(keyPath)
		if err != nil {
			return err
		}
		pub = key.Public()
		fmt.Fprintf(stderr, "vigie verify: checking with the data folder's own key %s; whoever can write the folder can re-sign, so give --key or --witness for independent evidence\n", pub.KeyID())
	}
	var witnessed []evidence.Checkpoint
	for _, w := range witnessFiles {
		cs, err := evidence.ReadWitnessFile(w)
		if err != nil {
			return err
		}
		witnessed = append(witnessed, cs...)
	}
	path := filepath.Join(data, "events.db")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no store in %s: %w", data, err)
	}
	st, err := sqlite.Open(path, sqlite.Config{})
	if err != nil {
		return fmt.Errorf("%w (stop vigie serve first, or verify a copy of the data folder)", err)
	}
	defer st.Close()
	bar := progressbar.NewOptions64(-1, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("verifying"),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
	rep, err := evidence.Verify(ctx, st, pub, witnessed, func(done, total int64) {
		bar.ChangeMax64(total)
		bar.Set64(done)
	})
	bar.Finish()
	if err != nil {
		return err
	}
	if asJSON {
		if err := writeJSONTo(out, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprint(out, rep.Text())
	}
	if !rep.OK() {
		return errNotVerified
	}
	return nil
}

func newExportCommand() *cobra.Command {
	var output, format string
	cmd := remoteCommand("export INCIDENT", "Export an incident's case bundle for the authorities", cobra.ExactArgs(1),
		func(cmd *cobra.Command, rm *remote, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("incident %q: want its number", args[0])
			}
			if format == "" {
				format = "tar.gz"
				if strings.HasSuffix(strings.ToLower(output), ".zip") {
					format = "zip"
				}
			}
			token, err := rm.client.resolveToken()
			if err != nil {
				return err
			}
			req, err := http.NewRequestWithContext(cmd.Context(), "GET",
				rm.client.url(fmt.Sprintf("/api/v1/incidents/%d/export?format=%s", id, url.QueryEscape(format))), nil)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("contacting server: %w", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
				return apiError(resp, b)
			}
			if output == "" {
				output = attachmentName(resp.Header.Get("Content-Disposition"))
			}
			if output == "" {
				output = fmt.Sprintf("vigie-incident-%d.%s", id, format)
			}
			f, err := os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("writing the bundle: %w", err)
			}
			n, err := io.Copy(f, resp.Body)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
				err = fmt.Errorf("got %d of %d bytes", n, resp.ContentLength)
			}
			if err != nil {
				os.Remove(output)
				return fmt.Errorf("writing the bundle: %w", err)
			}
			manifest := resp.Header.Get("X-Vigie-Manifest-SHA256")
			out := cmd.OutOrStdout()
			return rm.print(out, map[string]any{"file": output, "bytes": n, "manifest_sha256": manifest}, func() {
				fmt.Fprintf(out, "%s: %d bytes, manifest SHA-256 %s\ncheck it with: vigie verify %s --key <the instance's public key>\n",
					output, n, manifest, output)
			})
		})
	cmd.Long = `Download an incident's case bundle: its events (original bytes), alerts,
timeline, scope report, notes, decisions and audit entries, with inclusion
proofs against a signed checkpoint, the indicators as STIX 2.1 and MISP,
and a printable report. The export is recorded in the audit log (chain of
custody). Anyone can check the bundle offline with "vigie verify".`
	cmd.Flags().StringVarP(&output, "output", "o", "", "file to write (default: the name the server gives); never overwritten")
	cmd.Flags().StringVar(&format, "format", "", "tar.gz or zip (default from --output's extension, else tar.gz)")
	return cmd
}

// attachmentName returns the file name of a Content-Disposition header,
// kept to a plain base name, or "".
func attachmentName(cd string) string {
	_, rest, ok := strings.Cut(cd, `filename="`)
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, `"`)
	name = filepath.Base(name)
	if name == "." || name == "/" || strings.HasPrefix(name, ".") {
		return ""
	}
	return name
}

func newCheckpointsCommand() *cobra.Command {
	var sign bool
	cmd := remoteCommand("checkpoints", "List the integrity log's signed checkpoints (or --sign one now)", cobra.NoArgs,
		func(cmd *cobra.Command, rm *remote, args []string) error {
			out := cmd.OutOrStdout()
			if sign {
				var c evidence.Checkpoint
				if err := rm.call(cmd.Context(), "POST", "/api/v1/checkpoints", nil, &c); err != nil {
					return err
				}
				return rm.print(out, c, func() { fmt.Fprint(out, c.Text()) })
			}
			var resp api.CheckpointsResponse
			if err := rm.call(cmd.Context(), "GET", "/api/v1/checkpoints?limit=10000", nil, &resp); err != nil {
				return err
			}
			return rm.print(out, resp, func() {
				fmt.Fprintf(out, "origin %s, key %s\n", resp.Origin, resp.PublicKey)
				for _, c := range resp.Checkpoints {
					fmt.Fprintf(out, "%12d leaves  %s  %s\n", c.Size, c.Time.UTC().Format(time.RFC3339), c)
				}
				for _, w := range resp.Witnesses {
					state := "ok"
					if w.LastError != "" {
						state = "failing: " + w.LastError
					}
					fmt.Fprintf(out, "witness %s: up to %d leaves, %s\n", w.Name, w.Size, state)
				}
			})
		})
	cmd.Flags().BoolVar(&sign, "sign", false, "sign a checkpoint now and print it")
	return cmd
}

// writeJSONTo writes v as indented JSON.
func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
