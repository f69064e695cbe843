package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

// get sends an authenticated GET to path with the query v and decodes the
// JSON answer into dst. An error answer is returned as an error holding
// the server's message, and its body for callers that explain more.
func (f *clientFlags) get(ctx context.Context, token, path string, v url.Values, dst any) (body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url(path+"?"+v.Encode()), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("contacting server: %w", err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return body, apiError(resp, body)
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return body, fmt.Errorf("decoding answer: %w", err)
	}
	return body, nil
}

// send sends an authenticated request with body (JSON, or none when nil)
// to path and decodes the JSON answer into dst (ignored when nil).
func (f *clientFlags) send(ctx context.Context, token, method, path string, body, dst any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, f.url(path), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("contacting server: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return apiError(resp, b)
	}
	if dst == nil {
		return nil
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("decoding answer: %w", err)
	}
	return nil
}

func jsonUnmarshal(b []byte, dst any) error {
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("decoding answer: %w", err)
	}
	return nil
}
