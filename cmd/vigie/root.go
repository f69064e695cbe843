package main

import (
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// the module version from the build info is used.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "vigie",
		Short: "Security monitoring, detection and incident response in one binary",
		Long: `Vigie collects security logs (syslog, Windows events, Zeek, CloudTrail, web
access logs, any JSON), keeps every event durably and unaltered, and finds
them again fast.

Start a server with "vigie serve", send it files with "vigie ingest", and
search with "vigie search". With --rules, the server runs Sigma rules on
every stored event ("vigie alerts" lists what they found); "vigie hunt"
runs the same rules over log files, and "vigie rules" checks them.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCommand(), newIngestCommand(), newSearchCommand(), newAlertsCommand(),
		newDemoCommand(), newSimulateCommand(), newIncidentsCommand(), newIncidentCommand(), newScopeCommand(),
		newDecideCommand(), newDecisionsCommand(), newBouncersCommand(), newIntelCommand(), newHuntsCommand(),
		newUsersCommand(), newTokensCommand(), newIngestTokensCommand(),
		newVerifyCommand(), newExportCommand(), newCheckpointsCommand(),
		newHuntCommand(), newRulesCommand(), newVersionCommand())
	return root
}
