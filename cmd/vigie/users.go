package main

import (
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/auth"
)

// remoteCommand builds a subcommand that talks to the server.
func remoteCommand(use, short string, args cobra.PositionalArgs, run func(cmd *cobra.Command, rm *remote, args []string) error) *cobra.Command {
	rm := &remote{}
	cmd := &cobra.Command{Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, a []string) error { return run(cmd, rm, a) }}
	rm.register(cmd)
	return cmd
}

func newUsersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage the console's users (admin)",
		Long: `Users log in to the console with a password (argon2id-hashed) and act with
their role: viewer (reads), analyst (triage), responder (decisions), admin
(users, settings). A new user and a reset password must be changed at the
first login. Every change is in the audit log.`,
		Example: `  vigie users add alice --role analyst --password 'a long first password'
  vigie users role alice responder
  vigie users disable bob
  vigie users reset alice`,
	}
	list := remoteCommand("list", "List users", cobra.NoArgs, func(cmd *cobra.Command, rm *remote, args []string) error {
		var resp struct {
			Users []auth.UserInfo `json:"users"`
		}
		if err := rm.call(cmd.Context(), "GET", "/api/v1/users", nil, &resp); err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		return rm.print(out, resp, func() {
			for _, u := range resp.Users {
				state := ""
				if u.Disabled {
					state = " (disabled)"
				} else if u.MustChange {
					state = " (must change password)"
				}
				last := "never"
				if !u.LastLogin.IsZero() {
					last = u.LastLogin.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(out, "%-24s %-10s last login %s%s\n", u.Name, u.Role, last, state)
			}
		})
	})
	var role, password string
	add := remoteCommand("add NAME", "Create a user", cobra.ExactArgs(1), func(cmd *cobra.Command, rm *remote, args []string) error {
		r, err := auth.ParseRole(role)
		if err != nil {
			return fmt.Errorf("--role: %w", err)
		}
		if password == "" {
			return fmt.Errorf("--password is required: at least %d characters, to be changed at first login", auth.MinPasswordLen)
		}
		return rm.call(cmd.Context(), "POST", "/api/v1/users", api.UserRequest{Name: args[0], Password: password, Role: r}, nil)
	})
	add.Flags().StringVar(&role, "role", "viewer", "viewer, analyst, responder or admin")
	add.Flags().StringVar(&password, "password", "", "first password (the user changes it at first login)")
	setRole := remoteCommand("role NAME ROLE", "Change a user's role", cobra.ExactArgs(2), func(cmd *cobra.Command, rm *remote, args []string) error {
		r, err := auth.ParseRole(args[1])
		if err != nil {
			return err
		}
		return rm.call(cmd.Context(), "PATCH", "/api/v1/users/"+url.PathEscape(args[0]), api.UserUpdate{Role: &r}, nil)
	})
	able := func(disable bool) func(cmd *cobra.Command, rm *remote, args []string) error {
		return func(cmd *cobra.Command, rm *remote, args []string) error {
			return rm.call(cmd.Context(), "PATCH", "/api/v1/users/"+url.PathEscape(args[0]), api.UserUpdate{Disabled: &disable}, nil)
		}
	}
	reset := remoteCommand("reset NAME", "Give a user a temporary password (their sessions and tokens end)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, rm *remote, args []string) error {
			var resp struct {
				Temporary string `json:"temporary_password"`
			}
			if err := rm.call(cmd.Context(), "POST", "/api/v1/users/"+url.PathEscape(args[0])+"/reset", nil, &resp); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			return rm.print(out, resp, func() {
				fmt.Fprintf(out, "temporary password for %s (shown once; to be changed at login):\n\n    %s\n", args[0], resp.Temporary)
			})
		})
	cmd.AddCommand(list, add, setRole,
		remoteCommand("disable NAME", "Disable a user: their sessions and tokens stop working", cobra.ExactArgs(1), able(true)),
		remoteCommand("enable NAME", "Enable a disabled user", cobra.ExactArgs(1), able(false)), reset)
	return cmd
}

func newTokensCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "API tokens of users: create, list, revoke",
		Example: `  vigie tokens create --role analyst --label "SOAR playbooks" --duration 720h
  vigie tokens list
  vigie tokens revoke 631f3ae9d8121df9`,
	}
	var req api.TokenRequest
	var role string
	create := remoteCommand("create", "Create a token (shown once)", cobra.NoArgs, func(cmd *cobra.Command, rm *remote, args []string) error {
		r, err := auth.ParseRole(role)
		if err != nil {
			return fmt.Errorf("--role: %w", err)
		}
		req.Role = r
		var resp api.TokenCreated
		if err := rm.call(cmd.Context(), "POST", "/api/v1/tokens", req, &resp); err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		return rm.print(out, resp, func() {
			fmt.Fprintf(out, "token %s for %s as %s until %s (shown once):\n\n    %s\n", resp.Info.ID, resp.Info.Owner,
				resp.Info.Role, resp.Info.Expires.UTC().Format(time.RFC3339), resp.Token)
		})
	})
	create.Flags().StringVar(&req.Owner, "owner", "", "the user it acts for (default: you; others need admin)")
	create.Flags().StringVar(&role, "role", "viewer", "its role, at most the owner's")
	create.Flags().StringVar(&req.Duration, "duration", "", "how long it works (default 2160h, 90 days)")
	create.Flags().StringVar(&req.Label, "label", "", "what it is for")
	var owner string
	list := remoteCommand("list", "List tokens (yours; admins: everyone's)", cobra.NoArgs, func(cmd *cobra.Command, rm *remote, args []string) error {
		var resp struct {
			Tokens []auth.TokenInfo `json:"tokens"`
		}
		if err := rm.call(cmd.Context(), "GET", "/api/v1/tokens?owner="+url.QueryEscape(owner), nil, &resp); err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		return rm.print(out, resp, func() {
			for _, t := range resp.Tokens {
				state := "active"
				if !t.Active {
					state = "ended"
				}
				fmt.Fprintf(out, "%-18s %-16s %-10s %-6s until %s  %s\n", t.ID, t.Owner, t.Role, state, t.Expires.UTC().Format(time.RFC3339), t.Label)
			}
		})
	})
	list.Flags().StringVar(&owner, "owner", "", "only this user's (admins)")
	revoke := remoteCommand("revoke ID", "Revoke a token", cobra.ExactArgs(1), func(cmd *cobra.Command, rm *remote, args []string) error {
		return rm.call(cmd.Context(), "DELETE", "/api/v1/tokens/"+url.PathEscape(args[0]), nil, nil)
	})
	cmd.AddCommand(create, list, revoke)
	return cmd
}

func newIngestTokensCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingest-tokens",
		Short: "Ingest tokens of sources: create, list, revoke (admin)",
		Long: `An ingest token lets one shipper send events and do nothing else. Its events
are named after its source (http/SOURCE, bulk/SOURCE) whatever the request
says, so a stolen shipper credential can neither read the store nor pass
its events off as another source's.`,
		Example: `  vigie ingest-tokens create dc01 --label "Winlogbeat on DC01"
  vigie ingest-tokens list
  vigie ingest-tokens revoke 631f3ae9d8121df9`,
	}
	var req api.IngestTokenRequest
	create := remoteCommand("create SOURCE", "Create a source's ingest token (shown once)", cobra.ExactArgs(1), func(cmd *cobra.Command, rm *remote, args []string) error {
		req.Source = args[0]
		if err := auth.ValidSourceName(req.Source); err != nil {
			return err
		}
		var resp api.IngestTokenCreated
		if err := rm.call(cmd.Context(), "POST", "/api/v1/ingest-tokens", req, &resp); err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		return rm.print(out, resp, func() {
			fmt.Fprintf(out, "ingest token %s for source %s until %s (shown once):\n\n    %s\n", resp.Info.ID, resp.Info.Source,
				resp.Info.Expires.UTC().Format(time.RFC3339), resp.Token)
		})
	})
	create.Flags().StringVar(&req.Duration, "duration", "", "how long it works (default 2160h, 90 days)")
	create.Flags().StringVar(&req.Label, "label", "", "what it is for")
	list := remoteCommand("list", "List ingest tokens", cobra.NoArgs, func(cmd *cobra.Command, rm *remote, args []string) error {
		var resp struct {
			IngestTokens []auth.IngestToken `json:"ingest_tokens"`
		}
		if err := rm.call(cmd.Context(), "GET", "/api/v1/ingest-tokens", nil, &resp); err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		return rm.print(out, resp, func() {
			for _, t := range resp.IngestTokens {
				state := "active"
				if !t.Active {
					state = "ended"
				}
				fmt.Fprintf(out, "%-18s %-20s %-6s until %s  %s\n", t.ID, t.Source, state, t.Expires.UTC().Format(time.RFC3339), t.Label)
			}
		})
	})
	revoke := remoteCommand("revoke ID", "Revoke an ingest token", cobra.ExactArgs(1), func(cmd *cobra.Command, rm *remote, args []string) error {
		return rm.call(cmd.Context(), "DELETE", "/api/v1/ingest-tokens/"+url.PathEscape(args[0]), nil, nil)
	})
	cmd.AddCommand(create, list, revoke)
	return cmd
}
