package settings_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/vigie-sec/vigie/internal/settings"
)

// FuzzSettings feeds client JSON to CreateTarget and CreatePolicy: it
// never panics, a refusal is an InvalidError or a name error, and what
// is accepted is listed without its secrets and can be deleted.
func FuzzSettings(f *testing.F) {
	for _, seed := range []string{
		`{"name":"hook","type":"webhook","url":"https://example.org/x","secret":"s","min_level":"high","kinds":["alert"]}`,
		`{"name":"mail","type":"email","host":"smtp.example.org","from":"v@example.org","to":["soc@example.org"],"username":"u","password":"p"}`,
		`{"name":"siem","type":"syslog","network":"tcp","address":"siem.example.org:6514","facility":13}`,
		`{"name":"p","enabled":true,"when":{"detectors":["successafter"]},"entity":"source.ip","action":"block","duration":"4h"}`,
		`{"name":"x","type":"webhook","url":"ftp://u:p@h","timeout":"-1s","to":[""]}`,
	} {
		f.Add([]byte(seed))
	}
	e := newEnv(f, open(f), settings.Config{})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 10240 {
			return
		}
		var tgt settings.Target
		if json.Unmarshal(data, &tgt) == nil {
			err := e.settings.CreateTarget(ctx, tgt, admin)
			switch {
			case err == nil:
				v, err := e.settings.Target(tgt.Name)
				if err != nil {
					t.Fatalf("created %q, then Target: %v", tgt.Name, err)
				}
				if v.Secret != "" || v.Password != "" {
					t.Fatalf("view of %q shows a secret", tgt.Name)
				}
				if err := e.settings.DeleteTarget(ctx, tgt.Name, admin); err != nil {
					t.Fatalf("DeleteTarget(%q): %v", tgt.Name, err)
				}
			case !errors.Is(err, settings.ErrInvalid) && !errors.Is(err, settings.ErrReadOnly) && !errors.Is(err, settings.ErrExists):
				t.Fatalf("CreateTarget: unexpected error %v", err)
			}
		}
		var p settings.Policy
		if json.Unmarshal(data, &p) == nil {
			err := e.settings.CreatePolicy(ctx, p, admin)
			switch {
			case err == nil:
				if err := e.settings.DeletePolicy(ctx, p.Name, admin); err != nil {
					t.Fatalf("DeletePolicy(%q): %v", p.Name, err)
				}
			case !errors.Is(err, settings.ErrInvalid) && !errors.Is(err, settings.ErrExists):
				t.Fatalf("CreatePolicy: unexpected error %v", err)
			}
		}
	})
}
