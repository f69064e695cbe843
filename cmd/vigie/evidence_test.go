package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestVerifyRefusals checks that vigie verify says what is missing and
// writes nothing into a folder it is asked to check.
func TestVerifyRefusals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"verify"}, "give a bundle"},
		{[]string{"verify", "--data", dir}, "give the instance's public key with --key"},
		{[]string{"verify", "--data", dir, "--key", "vigie-ed25519:nope"}, "--key"},
		{[]string{"verify", "--data", dir, "--key", "vigie-ed25519:1lUJTkr3qRMokykGEk20eaFtspUDuxJHIcs8tUgiqIw="}, "no store in"},
		{[]string{"verify", "x.tar.gz", "--data", dir}, "not both"},
	} {
		out, err := runCLI(t, ctx, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("vigie %s: %v\n%s; want an error saying %q", strings.Join(c.args, " "), err, out, c.want)
		}
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("verify wrote into the folder it checked: %v %v", entries, err)
	}
}
