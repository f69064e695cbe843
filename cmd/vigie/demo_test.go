package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/auth"
	"github.com/vigie-sec/vigie/internal/simulate"
)

// TestDemo runs "vigie demo" as a user would, fast: the breach reaches the
// server and becomes an incident naming the compromised account, listed
// by the API at the address the demo printed.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("streams the simulated week: not with -short")
	}
	dir := filepath.Join(t.TempDir(), "demo")
	cmd := exec.Command(os.Args[0], "demo", "--data", dir, "--listen", "127.0.0.1:0", "--speed", "1e7")
	cmd.Env = append(os.Environ(), "VIGIE_TEST_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	console := regexp.MustCompile(`console:\s+(http://\S+)/ui/\s+\(user analyst, password (\S+)\)`)
	var base, password string
	sent := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := console.FindStringSubmatch(sc.Text()); m != nil {
				base, password = m[1], m[2]
			}
			if strings.HasPrefix(sc.Text(), "The simulated week has been sent") {
				sent <- base
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case base = <-sent:
	case <-time.After(5 * time.Minute):
		t.Fatalf("the demo did not finish sending:\n%s", stderr.String())
	}
	token, err := os.ReadFile(filepath.Join(dir, auth.TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	user := func() string {
		sim, err := simulate.Generate(simulate.Config{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		return sim.Truth().Breach.Account.UserName
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		req, _ := http.NewRequest("GET", base+"/api/v1/incidents?field=user.name&value="+user, nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got api.IncidentsResponse
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Incidents) == 1 {
			t.Logf("incident %d: %s, %d alerts", got.Incidents[0].ID, got.Incidents[0].Title, len(got.Incidents[0].Alerts))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d incidents name %s, want 1", len(got.Incidents), user)
		}
		time.Sleep(time.Second)
	}

	// The printed credentials open the console, and its incident list
	// shows the breach.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := browser.PostForm(base+"/ui/login", url.Values{"name": {"analyst"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path == "/ui/login" {
		t.Fatalf("login as the demo analyst: %s at %s", resp.Status, resp.Request.URL)
	}
	resp, err = browser.Get(base + "/ui/incidents")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "203.0.113.47") {
		t.Errorf("incidents page: %s, attacker address 203.0.113.47 not shown", resp.Status)
	}
}
