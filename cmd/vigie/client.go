package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigie-sec/vigie/internal/auth"
)

// clientFlags are the flags of the commands that talk to a server.
type clientFlags struct {
	server string
	token  string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.server, "server", cmp.Or(os.Getenv("VIGIE_SERVER"), "http://127.0.0.1:8080"), "server URL (or $VIGIE_SERVER)")
	cmd.Flags().StringVar(&f.token, "token", "", "API token (default $VIGIE_TOKEN, else ./vigie-data/admin.token)")
}

// resolveToken returns the token from the flag, the environment, or the
// default data folder, in that order.
func (f *clientFlags) resolveToken() (string, error) {
	if f.token != "" {
		return f.token, nil
	}
	if t := os.Getenv("VIGIE_TOKEN"); t != "" {
		return t, nil
	}
	if b, err := os.ReadFile(filepath.Join(defaultDataDir, auth.TokenFile)); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	return "", errors.New("no API token: pass --token, set VIGIE_TOKEN, or run from the folder holding vigie-data/admin.token")
}

func (f *clientFlags) url(path string) string {
	return strings.TrimRight(f.server, "/") + path
}

// apiError turns an error response into an error with the server's message.
func apiError(resp *http.Response, body []byte) error {
	msg := strings.TrimSpace(string(body))
	var e struct {
		Error    string `json:"error"`
		Position *int   `json:"position"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("server refused the token (401): %s", msg)
	}
	return fmt.Errorf("server answered %s: %s", resp.Status, msg)
}
