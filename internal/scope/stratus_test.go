package scope

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/cloudtrail"
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/shareddata"
	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// TestStratus builds the scope of each Stratus Red Team exfiltration and
// credential-access detonation (real CloudTrail records, Apache-2.0,
// ../shared/data/cloudtrail/stratus) from a subject made of the
// principals and addresses of the file's records, and checks that the
// secrets, parameters, instance passwords and shared snapshots the file
// names are in the data section. The expected values were read from the
// files with jq and are written out here.
func TestStratus(t *testing.T) {
	dir := shareddata.Path(t, "cloudtrail/stratus")
	cases := []struct {
		file, kind, container string
		objects               int      // distinct objects
		some                  []string // objects that must be listed
		denied                bool     // every access was refused
		shared                string   // the account a snapshot or image went to
	}{
		{file: "aws.credential-access.secretsmanager-retrieve-secrets.json", kind: KindSecrets,
			container: "Secrets Manager, AWS account 903144391865", objects: 20,
			some: []string{
				"arn:aws:secretsmanager:cn-centraleast-1r:903144391865:secret:stratus-red-team-retrieve-secret-0-28bajb",
				"arn:aws:secretsmanager:cn-centraleast-1r:903144391865:secret:stratus-red-team-retrieve-secret-19-fXrpF0",
			}},
		{file: "aws.credential-access.secretsmanager-batch-retrieve-secrets.json", kind: KindSecrets,
			container: "Secrets Manager, AWS account 165109126369", objects: 1,
			some: []string{"every secret matching tag-key=StratusRedTeam"}},
		{file: "aws.credential-access.ssm-retrieve-securestring-parameters.json", kind: KindSecrets,
			container: "SSM parameters, AWS account 933175858973", objects: 42,
			some: []string{"/credentials/stratus-red-team/credentials-0", "/credentials/stratus-red-team/credentials-40"}},
		{file: "aws.credential-access.ec2-get-password-data.json", kind: KindSecrets,
			container: "EC2 instance passwords, AWS account 457448411975", objects: 30, denied: true,
			some: []string{"i-i2jnm5swa59p4fxg", "i-rbn1gvh843rzs87g"}},
		{file: "aws.exfiltration.ec2-share-ebs-snapshot.json", kind: KindSnapshots,
			container: "snapshots and images shared, AWS account 756680937392", objects: 1,
			some: []string{"snap-041993b54a9b3af6f"}, shared: "098797384747"},
		{file: "aws.exfiltration.ec2-share-ami.json", kind: KindSnapshots,
			container: "snapshots and images shared, AWS account 118238665043", objects: 1,
			some: []string{"ami-de1fbCab6ccB03e6D"}, shared: "846424999548"},
		{file: "aws.exfiltration.rds-share-snapshot.json", kind: KindSnapshots,
			container: "snapshots and images shared, AWS account 171471557522", objects: 1,
			some: []string{"exfiltration"}, shared: "503161813013"},
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(c.file, ".json"), func(t *testing.T) {
			st, subj := storeFile(t, filepath.Join(dir, c.file))
			rep, err := Build(context.Background(), st, subj, Config{})
			if err != nil {
				t.Fatal(err)
			}
			d, ok := findData(rep, c.kind, c.container)
			if !ok {
				t.Fatalf("no %s container %q in %+v", c.kind, c.container, rep.Data)
			}
			if d.ObjectsTotal != c.objects || len(d.Objects) != c.objects {
				t.Errorf("%d objects (%d listed), want %d", d.ObjectsTotal, len(d.Objects), c.objects)
			}
			for _, want := range c.some {
				if !slices.ContainsFunc(d.Objects, func(o Object) bool { return o.Name == want }) {
					t.Errorf("object %s missing", want)
				}
			}
			if c.denied != (d.Denied == d.Accesses) {
				t.Errorf("%d of %d accesses denied; all denied: %v", d.Denied, d.Accesses, c.denied)
			}
			if c.shared != "" {
				i := slices.IndexFunc(rep.Transfers, func(x Transfer) bool { return x.Destination == "aws-account:"+c.shared })
				if i < 0 || rep.Transfers[i].Verdict != LikelyExfiltration || rep.Transfers[i].Kind != TransferShare {
					t.Errorf("no likely exfiltration to AWS account %s in %+v", c.shared, rep.Transfers)
				}
			}
		})
	}
}

// storeFile decodes a CloudTrail file into a new SQLite store and returns
// a subject naming its principals and addresses, over its time span.
func storeFile(t *testing.T, path string) (*sqlite.Store, Subject) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sink decode.Collect
	if err := (cloudtrail.Decoder{}).Decode(f, &sink); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Append(context.Background(), sink.Events); err != nil {
		t.Fatal(err)
	}
	var subj Subject
	for _, ev := range sink.Events {
		if u, ok := ev.Get(event.UserName); ok && !slices.Contains(subj.Accounts, u) {
			subj.Accounts = append(subj.Accounts, u)
		}
		if ip, ok := ev.Get(event.SourceIP); ok && !slices.Contains(subj.Addresses, ip) {
			subj.Addresses = append(subj.Addresses, ip)
		}
		if subj.From.IsZero() || ev.Time.Before(subj.From) {
			subj.From = ev.Time
		}
		if ev.Time.After(subj.To) {
			subj.To = ev.Time
		}
	}
	subj.To = subj.To.Add(time.Second)
	return st, subj
}
