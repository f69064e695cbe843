package authn

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// decodeStrict decodes a YAML document into v, rejecting unknown keys as
// Vigie's configuration loader does.
func decodeStrict(doc string, v any) error {
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// A zero configuration works and means the defaults; a document sets
// the fields by their yaml names, durations written as Go durations.
func TestConfigs(t *testing.T) {
	cases := []struct {
		name     string
		zero     any // the zero config with its defaults filled
		defaults any
		doc      string
		into     any
		want     any
	}{{
		"bruteforce", BruteForceConfig{}.withDefaults(), DefaultBruteForceConfig(),
		"failures: 20\nwindow: 5m\nslow_failures: 100\nslow_window: 12h\n", &BruteForceConfig{},
		&BruteForceConfig{Failures: 20, Window: 5 * time.Minute, SlowFailures: 100, SlowWindow: 12 * time.Hour},
	}, {
		"spray", SprayConfig{}.withDefaults(), DefaultSprayConfig(),
		"accounts: 8\nwindow: 1h\nmax_median_attempts: 2.5\n", &SprayConfig{},
		&SprayConfig{Accounts: 8, Window: time.Hour, MaxMedianAttempts: 2.5},
	}, {
		"successafter", SuccessAfterConfig{}.withDefaults(), DefaultSuccessAfterConfig(),
		"failures: 3\nwindow: 30m\n", &SuccessAfterConfig{},
		&SuccessAfterConfig{Failures: 3, Window: 30 * time.Minute},
	}, {
		"lateral", LateralConfig{}.withDefaults(), DefaultLateralConfig(),
		"warm_up: 336h\nmin_logins: 100\nhosts: 8\nwindow: 2h\nhistory: 720h\nmax_hosts_per_account: 64\nignore_logon_types: []\nignore_accounts: [svc_sccm]\n", &LateralConfig{},
		&LateralConfig{WarmUp: 14 * day, MinLogins: 100, Hosts: 8, Window: 2 * time.Hour, History: 30 * day, MaxHostsPerAccount: 64,
			IgnoreLogonTypes: []int{}, IgnoreAccounts: []string{"svc_sccm"}},
	}, {
		"privilege", PrivilegeConfig{}.withDefaults(), DefaultPrivilegeConfig(),
		"groups: [Domain Admins]\ngroup_sids: [\"-512\"]\nwindow: 12h\n", &PrivilegeConfig{},
		&PrivilegeConfig{Groups: []string{"Domain Admins"}, GroupSIDs: []string{"-512"}, Window: 12 * time.Hour},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.defaults, c.zero); diff != "" {
				t.Errorf("zero config with defaults differs from Default…Config() (-default +zero):\n%s", diff)
			}
			if err := decodeStrict(c.doc, c.into); err != nil {
				t.Fatalf("decoding %q: %v", c.doc, err)
			}
			if diff := cmp.Diff(c.want, c.into); diff != "" {
				t.Errorf("decoded config (-want +got):\n%s", diff)
			}
			fresh := reflect.New(reflect.TypeOf(c.into).Elem()).Interface()
			if err := decodeStrict("windw: 5m\n", fresh); err == nil {
				t.Error("a misspelt key decoded without error")
			}
			type validator interface{ Validate() error }
			if err := reflect.ValueOf(c.defaults).Interface().(validator).Validate(); err != nil {
				t.Errorf("defaults do not validate: %v", err)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []interface{ Validate() error }{
		BruteForceConfig{Failures: -1},
		BruteForceConfig{Window: time.Hour, SlowWindow: time.Hour},
		BruteForceConfig{Failures: 40},
		SprayConfig{Accounts: 1},
		SprayConfig{Window: -time.Minute},
		SuccessAfterConfig{Failures: -2},
		LateralConfig{Hosts: 1},
		PrivilegeConfig{Window: -time.Hour},
		PrivilegeConfig{GroupSIDs: []string{"Administrators"}},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("%T%+v validated", c, c)
		}
	}
}
