package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/vigie-sec/vigie/internal/alertstate"
	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/behave/catalog"
	"github.com/vigie-sec/vigie/internal/casefile"
	"github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/decode/jsonl"
	decsyslog "github.com/vigie-sec/vigie/internal/decode/syslog"
	"github.com/vigie-sec/vigie/internal/ingest"
	"github.com/vigie-sec/vigie/internal/ingest/bulk"
	"github.com/vigie-sec/vigie/internal/ingest/ndjson"
	"github.com/vigie-sec/vigie/internal/ingest/syslog"
	"github.com/vigie-sec/vigie/internal/intel"
	"github.com/vigie-sec/vigie/internal/retro"
	"github.com/vigie-sec/vigie/internal/settings"
	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
	"github.com/vigie-sec/vigie/internal/web"
)

const defaultDataDir = "vigie-data"

func newServeCommand() *cobra.Command {
	var (
		configPath string
		flags      serveConfig
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Vigie server: collect, store, detect, investigate, respond",
		Long: `Run the Vigie server. It keeps its data in one folder (--data), answers the
API, the console (/ui/) and the Elasticsearch bulk subset for shippers on
--listen, and receives syslog on the addresses given. Listening beyond
loopback without a certificate, it serves TLS with a self-signed one made
on first start in <data>/tls.

On first start it creates an admin API token, prints it once, and writes it
to <data>/admin.token (mode 0600). Clients send it as
"Authorization: Bearer <token>"; shippers' Elasticsearch outputs may send it
as the password of any user, or as an API key. It also creates the console
user "admin" with a one-time password, printed once; "vigie users" and
"vigie tokens" manage users and their API tokens.

Every stored event goes through live detection: the indicators of
compromise always, with --rules the Sigma rules (the engine of "vigie
hunt"), with --detectors the behaviour detectors. Alerts are stored as
events of kind alert ("vigie alerts"), grouped into incidents ("vigie
incidents"), given to the response policies and the notification routes
of the config. Rule files are reloaded when they change. Detection resumes
where it stopped after a restart.

Settings not available as flags go in a YAML file (--config); unknown keys
are rejected with the file and line. Flags override the file.`,
		Example: `  vigie serve
  vigie serve --data /var/lib/vigie --listen 0.0.0.0:8080 --syslog-udp :514 --syslog-tcp :601
  vigie serve --rules /etc/vigie/sigma/rules --rules /etc/vigie/local-rules
  vigie serve --config /etc/vigie/vigie.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			cfg.Data = cmp.Or(flags.Data, cfg.Data, defaultDataDir)
			cfg.Listen = cmp.Or(flags.Listen, cfg.Listen, "127.0.0.1:8080")
			cfg.Syslog.UDP = cmp.Or(flags.Syslog.UDP, cfg.Syslog.UDP)
			cfg.Syslog.TCP = cmp.Or(flags.Syslog.TCP, cfg.Syslog.TCP)
			cfg.Detection.Rules = append(cfg.Detection.Rules, flags.Detection.Rules...)
			if len(flags.Detection.Detectors) > 0 {
				cfg.Detection.Detectors = flags.Detection.Detectors
			}
			cfg.Detection.GeoIP = cmp.Or(flags.Detection.GeoIP, cfg.Detection.GeoIP)
			return serve(cmd.Context(), cfg, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&configPath, "config", "", "YAML configuration file")
	f.StringVar(&flags.Data, "data", "", "data folder (default \"vigie-data\")")
	f.StringVar(&flags.Listen, "listen", "", "HTTP API address (default \"127.0.0.1:8080\")")
	f.StringVar(&flags.Syslog.UDP, "syslog-udp", "", "syslog UDP address, e.g. :514 (default off)")
	f.StringVar(&flags.Syslog.TCP, "syslog-tcp", "", "syslog TCP address, e.g. :601 (default off)")
	f.StringArrayVar(&flags.Detection.Rules, "rules", nil, "Sigma rule file or folder to run on every stored event (repeatable; added to the config's)")
	f.StringSliceVar(&flags.Detection.Detectors, "detectors", nil, "behaviour detectors to run on every stored event: all, or some of "+strings.Join(catalog.Names(), ","))
	f.StringVar(&flags.Detection.GeoIP, "geoip", "", "GeoIP .mmdb city database for the travel and newplace detectors")
	return cmd
}

func serve(ctx context.Context, cfg *serveConfig, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("creating data folder: %w", err)
	}
	token, created, err := auth.LoadOrCreateAdmin(cfg.Data)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stderr, "Admin API token (shown once; also in %s):\n\n    %s\n\n",
			filepath.Join(cfg.Data, auth.TokenFile), token)
	}

	st, err := sqlite.Open(filepath.Join(cfg.Data, "events.db"), sqlite.Config{})
	if err != nil {
		return fmt.Errorf("opening store: %w", err)
	}
	defer st.Close()

	users, err := openUsers(ctx, cfg, st, token, stderr)
	if err != nil {
		return err
	}
	tri, err := newTriage(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	// Notification targets and response policies made in the console,
	// over those of the config.
	set, err := settings.New(settings.Config{Notify: cfg.Notify, Policies: cfg.Response.Policies},
		settings.Deps{Records: st, Audit: st, Notifier: tri.notify, Responder: tri.respond})
	if err != nil {
		return err
	}
	if err := set.Load(ctx); err != nil {
		return err
	}
	// Live detection always runs: the indicators of compromise are
	// matched on every event, besides the rules and detectors configured.
	intelStore := intel.NewStore(st)
	matcher, err := intelStore.Matcher(ctx)
	if err != nil {
		return err
	}
	ioc := intel.NewDetector(matcher)
	switches := &ruleSwitches{records: st, audit: st}
	live, err := newLiveDetection(cfg, st, log, switches, tri.alerts, ioc)
	if err != nil {
		return err
	}
	switches.live = live
	alertStates := alertstate.New(st, st)
	if len(cfg.Detection.Rules) > 0 {
		fmt.Fprintln(stderr, "vigie serve: detection:", live.rules.Summary())
	}
	if err := cfg.Hunts.Validate(); err != nil {
		return fmt.Errorf("hunts: %w", err)
	}
	hunter := retro.New(retro.Deps{Store: st, OnAlerts: tri.alerts, Logger: log}, cfg.Hunts)
	if err := hunter.Load(ctx); err != nil {
		return err
	}
	defer hunter.Close()
	pipe := ingest.New(st, ingest.Config{
		QueueEvents: cfg.Ingest.QueueEvents,
		BatchEvents: cfg.Ingest.BatchEvents,
		Logger:      log,
		OnCommit:    live.live.Wake,
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(pipe.Counters, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	reg.MustRegister(live.live, tri.notify)
	evlog, evkey, err := openEvidence(ctx, cfg, st, reg, log, stderr)
	if err != nil {
		return err
	}
	var exporter api.Exporter
	var evidenceAPI api.Evidence
	if evlog != nil {
		evidenceAPI = evlog
		if exporter, err = casefile.New(cfg.Export, casefile.Deps{Incidents: tri.incidents, Store: st, Decisions: tri.respond,
			Log: evlog, Key: evkey, Subject: api.ScopeSubject, Scope: cfg.Scope}); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}

	maxRecord := int(cfg.Ingest.MaxRecord)
	formats := detect.New(detect.Config{MaxRecord: maxRecord})
	handler := api.New(api.Config{
		Auth:         users,
		Users:        users,
		IngestTokens: users,
		Settings:     set,
		Evidence:     evidenceAPI,
		Ledger:       st,
		Exporter:     exporter,
		AlertStates:  alertStates,
		Rules:        live.current.Load,
		RuleSwitches: switches,
		Store:        st,
		Sources:      pipe.Counters,
		Health:       pipe.Health,
		Ingest: ndjson.New(ndjson.Config{Submit: pipe, JSON: jsonl.DecodeObject,
			Decoder: formats.ByName, MaxBody: int64(cfg.HTTP.MaxBody), MaxRecord: maxRecord}),
		Bulk:       bulk.New(bulk.Config{Submit: pipe, JSON: jsonl.DecodeObject, MaxBody: int64(cfg.HTTP.MaxBody), MaxRecord: maxRecord}),
		Metrics:    promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Version:    buildVersion(),
		Audit:      st,
		Incidents:  tri.incidents,
		OnIncident: tri.incidentChanged,
		Scope:      cfg.Scope,
		Decisions:  tri.respond,
		Bouncers:   bouncersOf(tri.bouncer),
		BouncerAPI: handlerOf(tri.bouncer),
		Hunts:      &hunts{Manager: hunter, cfg: cfg, live: live, audit: st, log: log},
		Intel:      &intelService{store: intelStore, detector: ioc, hunts: hunter, audit: st, log: log},
		Logger:     log,
	})

	sl, err := listenSyslog(cfg, pipe, maxRecord, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("HTTP listener: %w", err)
	}
	if err := chooseTLS(cfg, log); err != nil {
		return err
	}
	useTLS := cfg.HTTP.TLSCert != ""
	console := web.New(web.Config{Auth: users, Store: st, Incidents: tri.incidents, OnIncident: tri.incidentChanged,
		Scope: cfg.Scope, Decisions: tri.respond, Sources: pipe.Counters, Rules: live.current.Load, Users: users, Audit: st,
		RuleSwitches: switches, AlertStates: consoleAlertStates{alertStates}, Settings: set, Exporter: exporter, IngestTokens: users,
		Secure: useTLS, Version: buildVersion(), Logger: log})
	srv := &http.Server{Handler: securityHeaders(rootHandler(handler, console), useTLS),
		ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}

	// Run the parts. Shutdown order: stop the transports (HTTP waits for
	// requests in flight, which wait for their commits), then drain the
	// pipeline, then close the store (deferred above).
	pipeCtx, stopPipe := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPipe()
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	wg.Go(func() { errc <- pipe.Run(pipeCtx) })
	transportCtx, stopTransports := context.WithCancel(ctx)
	defer stopTransports()
	wg.Go(func() {
		var err error
		if useTLS {
			err = srv.ServeTLS(ln, cfg.HTTP.TLSCert, cfg.HTTP.TLSKey)
		} else {
			err = srv.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("HTTP server: %w", err)
		}
	})
	if sl != nil {
		wg.Go(func() { sl.Serve(transportCtx) })
	}
	wg.Go(func() { retention(transportCtx, st, cfg, log) })
	// Response and notification outlive detection, which hands them its
	// last alerts.
	actCtx, stopActing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopActing()
	var acting sync.WaitGroup
	acting.Go(func() { tri.respond.Run(actCtx) })
	acting.Go(func() { tri.notify.Run(actCtx) })
	if evlog != nil {
		// The last checkpoint is signed after the last commit and the last
		// audit entry, so that a clean stop leaves nothing unsigned.
		acting.Go(func() {
			if err := evlog.Run(actCtx); err != nil && actCtx.Err() == nil {
				log.Error("integrity log stopped signing checkpoints", "err", err)
			}
			if _, err := evlog.Checkpoint(context.WithoutCancel(actCtx)); err != nil {
				log.Error("signing the last checkpoint", "err", err)
			}
		})
	}
	detectCtx, stopDetect := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDetect()
	var detectDone sync.WaitGroup
	detectDone.Go(func() { live.run(detectCtx, transportCtx) })

	log.Info("vigie serving", "api", ln.Addr().String(), "tls", useTLS, "data", cfg.Data,
		"syslog_udp", cfg.Syslog.UDP, "syslog_tcp", cfg.Syslog.TCP, "syslog_tls", cfg.Syslog.TLS)
	if cfg.ready != nil {
		cfg.ready(ln.Addr().String())
	}
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-errc:
		log.Error("stopping", "err", runErr)
	}
	stopTransports()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("HTTP shutdown", "err", err)
	}
	if err := pipe.Close(shutdownCtx); err != nil {
		runErr = errors.Join(runErr, err)
	}
	stopPipe()
	wg.Wait()
	// Detection stops after the last commit, saving where it got to; the
	// events it had not reached are matched at the next start.
	stopDetect()
	detectDone.Wait()
	stopActing()
	acting.Wait()
	return runErr
}

// openUsers starts the user service and makes sure the console's admin
// (and vigie demo's users) exist, printing a new admin's password once.
func openUsers(ctx context.Context, cfg *serveConfig, st *sqlite.Store, adminToken string, stderr io.Writer) (*auth.Service, error) {
	users, err := auth.NewService(auth.Config{SessionTTL: time.Duration(cfg.Auth.SessionTTL), IdleTimeout: time.Duration(cfg.Auth.IdleTimeout),
		LoginLimit: cfg.Auth.LoginLimit, LoginWindow: time.Duration(cfg.Auth.LoginWindow), AdminToken: adminToken},
		auth.Deps{Records: st, Audit: st})
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if pw, created, err := users.EnsureAdmin(ctx); err != nil {
		return nil, err
	} else if created {
		fmt.Fprintf(stderr, "Console user %q, password (shown once; to be changed at first login):\n\n    %s\n\n", auth.AdminUser, pw)
	}
	for _, u := range cfg.demoUsers {
		if err := users.EnsureUser(ctx, u.name, u.password, u.role); err != nil {
			return nil, err
		}
	}
	return users, nil
}

// listenSyslog opens the syslog listeners of the config, or returns nil
// when there are none.
func listenSyslog(cfg *serveConfig, pipe *ingest.Pipeline, maxRecord int, log *slog.Logger) (*syslog.Server, error) {
	if cfg.Syslog.UDP == "" && cfg.Syslog.TCP == "" && cfg.Syslog.TLS == "" {
		return nil, nil
	}
	var tlsConfig *tls.Config
	if cfg.Syslog.TLS != "" {
		cert, err := tls.LoadX509KeyPair(cfg.Syslog.TLSCert, cfg.Syslog.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("syslog TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	dec := decsyslog.New(decsyslog.Config{})
	return syslog.Listen(syslog.Config{
		UDP: cfg.Syslog.UDP, TCP: cfg.Syslog.TCP, TLS: cfg.Syslog.TLS, TLSConfig: tlsConfig,
		Queue: pipe, Decode: dec.DecodeMessage, MaxMessage: maxRecord, Logger: log,
	})
}

// chooseTLS sets the HTTP certificate to a self-signed one made in the
// data folder when the server listens beyond loopback without one (or
// http.tls_self_signed asks for it).
func chooseTLS(cfg *serveConfig, log *slog.Logger) error {
	autoTLS := !loopback(cfg.Listen) && cfg.HTTP.TLSCert == ""
	if cfg.HTTP.SelfSigned != nil {
		autoTLS = *cfg.HTTP.SelfSigned && cfg.HTTP.TLSCert == ""
	}
	if !autoTLS {
		return nil
	}
	host, _, _ := net.SplitHostPort(cfg.Listen)
	cert, key, fp, err := selfSigned(cfg.Data, host)
	if err != nil {
		return fmt.Errorf("self-signed certificate: %w", err)
	}
	cfg.HTTP.TLSCert, cfg.HTTP.TLSKey = cert, key
	log.Info("TLS with a self-signed certificate; give http.tls_cert to use yours", "cert", cert, "sha256", fp)
	return nil
}

// rootHandler serves the console under /ui/ and the API elsewhere. A
// browser opening the server's address gets the console; the
// Elasticsearch clients that probe "/" get the API.
func rootHandler(apiHandler, console http.Handler) http.Handler {
	root := http.NewServeMux()
	root.Handle("/ui/", console)
	root.Handle("/ui", http.RedirectHandler("/ui/", http.StatusMovedPermanently))
	root.Handle("/", apiHandler)
	root.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			http.Redirect(w, r, "/ui/", http.StatusFound)
			return
		}
		apiHandler.ServeHTTP(w, r)
	})
	return root
}

// retention prunes the store on a schedule until ctx ends.
func retention(ctx context.Context, st store.Pruner, cfg *serveConfig, log *slog.Logger) {
	r := store.Retention{MaxAge: time.Duration(cfg.Retention.MaxAge), MaxBytes: int64(cfg.Retention.MaxBytes)}
	if r.MaxAge == 0 && r.MaxBytes == 0 {
		return
	}
	every := cmp.Or(time.Duration(cfg.Retention.Every), 10*time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := st.Prune(ctx, r, time.Now())
		if err != nil && ctx.Err() == nil {
			log.Error("retention", "err", err)
		} else if n > 0 {
			log.Info("retention pruned events", "events", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
