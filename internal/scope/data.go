package scope

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// access is one read (or attempt) of one object in one container.
type access struct {
	kind, container, object, action string
	host                            string // the host key of a share or files container
}

// maxActions bounds the distinct actions kept per object.
const maxActions = 8

// dataOf reads the data accesses an event records.
func dataOf(ev *event.Event) []access {
	switch {
	case isWindows(ev):
		return windowsData(ev)
	case get(ev, event.EventModule) == "auditd":
		return auditdData(ev)
	case get(ev, event.EventDataset) == "aws.cloudtrail":
		return cloudTrailData(ev)
	case get(ev, event.EventDataset) == "o365.audit":
		return m365Data(ev)
	}
	return nil
}

func shortHost(host string) string {
	if i := strings.IndexByte(host, '.'); i > 0 && !isIPv4(host) {
		return host[:i]
	}
	return host
}

// shareName returns \\HOST\Share for a 5140/5145 ShareName (\\*\Share).
func shareName(host, share string) string {
	share = strings.TrimPrefix(share, `\\*\`)
	return `\\` + shortHost(host) + `\` + share
}

func windowsData(ev *event.Event) []access {
	host := firstOf(get(ev, event.HostName), "(host not named)")
	code := get(ev, event.EventCode)
	files := func(path string) []access {
		if path == "" {
			return nil
		}
		return []access{{kind: KindFiles, container: host, object: path, action: code, host: hostKey(host)}}
	}
	if strings.Contains(get(ev, "Provider_Name"), "Sysmon") {
		switch code {
		case "11", "15", "23", "26":
			return files(get(ev, "TargetFilename"))
		}
		return nil
	}
	switch code {
	case "5140", "5145":
		share := get(ev, "ShareName")
		if share == "" {
			return nil
		}
		obj := strings.TrimPrefix(get(ev, "RelativeTargetName"), `\`)
		return []access{{kind: KindShare, container: shareName(host, share), object: obj, action: code, host: hostKey(host)}}
	case "4663":
		if t := get(ev, "ObjectType"); t != "" && t != "File" {
			return nil
		}
		return files(get(ev, "ObjectName"))
	}
	return nil
}

func auditdData(ev *event.Event) []access {
	switch get(ev, "SYSCALL") {
	case "open", "openat", "openat2", "creat", "truncate", "unlink", "unlinkat", "rename", "renameat", "renameat2":
	default:
		return nil
	}
	host := firstOf(get(ev, event.HostName), "(host not named)")
	cwd := get(ev, "cwd")
	var out []access
	for _, f := range ev.Values("name") {
		p := f.Value
		if p == "" || p == "(null)" {
			continue
		}
		if !strings.HasPrefix(p, "/") && cwd != "" {
			p = strings.TrimSuffix(cwd, "/") + "/" + p
		}
		if p == cwd {
			continue
		}
		out = append(out, access{kind: KindFiles, container: host, object: p, action: get(ev, "SYSCALL"), host: hostKey(host)})
	}
	return out
}

func values(ev *event.Event, name string) []string {
	var out []string
	for _, f := range ev.Values(name) {
		if f.Value != "" {
			out = append(out, f.Value)
		}
	}
	return out
}

func cloudTrailData(ev *event.Event) []access {
	action := get(ev, event.EventAction)
	acct := get(ev, event.CloudAccountID)
	one := func(kind, container string, objects ...string) []access {
		if len(objects) == 0 {
			objects = []string{""}
		}
		out := make([]access, 0, len(objects))
		for _, o := range objects {
			out = append(out, access{kind: kind, container: container, object: o, action: action})
		}
		return out
	}
	switch get(ev, event.EventProvider) {
	case "s3.amazonaws.com":
		switch action {
		case "GetObject", "HeadObject", "GetObjectAttributes", "SelectObjectContent", "RestoreObject", "ListObjects", "ListObjectsV2", "ListObjectVersions", "CopyObject":
			bucket := get(ev, "requestParameters.bucketName")
			if bucket == "" {
				return nil
			}
			return one(KindBucket, "s3://"+bucket, values(ev, "requestParameters.key")...)
		}
	case "secretsmanager.amazonaws.com":
		c := "Secrets Manager, AWS account " + acct
		switch action {
		case "GetSecretValue":
			return one(KindSecrets, c, values(ev, "requestParameters.secretId")...)
		case "BatchGetSecretValue":
			if ids := values(ev, "requestParameters.secretIdList"); len(ids) > 0 {
				return one(KindSecrets, c, ids...)
			}
			filter := "every secret matching " + strings.Join(values(ev, "requestParameters.filters.key"), ",") + "=" + strings.Join(values(ev, "requestParameters.filters.values"), ",")
			return one(KindSecrets, c, filter)
		}
	case "ssm.amazonaws.com":
		c := "SSM parameters, AWS account " + acct
		switch action {
		case "GetParameter", "GetParameterHistory":
			return one(KindSecrets, c, values(ev, "requestParameters.name")...)
		case "GetParameters":
			return one(KindSecrets, c, values(ev, "requestParameters.names")...)
		case "GetParametersByPath":
			return one(KindSecrets, c, strings.TrimSuffix(get(ev, "requestParameters.path"), "/")+"/*")
		}
	case "kms.amazonaws.com":
		if action == "Decrypt" {
			return one(KindSecrets, "KMS keys, AWS account "+acct, firstOf(get(ev, "requestParameters.keyId"), get(ev, "resources.ARN"), "(key not named)"))
		}
	case "ec2.amazonaws.com":
		switch action {
		case "GetPasswordData":
			return one(KindSecrets, "EC2 instance passwords, AWS account "+acct, values(ev, "requestParameters.instanceId")...)
		case "ModifySnapshotAttribute", "ModifyImageAttribute":
			if len(shareRecipients(ev)) == 0 {
				return nil
			}
			return one(KindSnapshots, "snapshots and images shared, AWS account "+acct,
				firstOf(get(ev, "requestParameters.snapshotId"), get(ev, "requestParameters.imageId")))
		}
	case "rds.amazonaws.com":
		switch action {
		case "ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute":
			if len(shareRecipients(ev)) == 0 {
				return nil
			}
			return one(KindSnapshots, "snapshots and images shared, AWS account "+acct,
				firstOf(get(ev, "requestParameters.dBSnapshotIdentifier"), get(ev, "requestParameters.dBClusterSnapshotIdentifier")))
		}
	}
	return nil
}

// shareRecipients returns the accounts a snapshot, image or database
// snapshot was shared with ("all" when made public).
func shareRecipients(ev *event.Event) []string {
	var out []string
	for _, name := range []string{
		"requestParameters.createVolumePermission.add.items.userId",
		"requestParameters.createVolumePermission.add.items.group",
		"requestParameters.launchPermission.add.items.userId",
		"requestParameters.launchPermission.add.items.group",
	} {
		out = append(out, values(ev, name)...)
	}
	if n := get(ev, "requestParameters.attributeName"); n == "restore" {
		out = append(out, values(ev, "requestParameters.valuesToAdd")...)
	}
	return out
}

// cloudFileOps are the SharePoint and OneDrive operations that read a file.
var cloudFileOps = map[string]bool{
	"FileAccessed": true, "FileAccessedExtended": true, "FileDownloaded": true, "FilePreviewed": true,
	"FileSyncDownloadedFull": true, "FileSyncDownloadedPartial": true, "FileCopied": true,
}

// cloudDownloads are the operations that take a copy away.
var cloudDownloads = map[string]bool{"FileDownloaded": true, "FileSyncDownloadedFull": true, "FileSyncDownloadedPartial": true}

func m365Data(ev *event.Event) []access {
	op := get(ev, event.EventAction)
	switch {
	case op == "MailItemsAccessed":
		box := firstOf(get(ev, "MailboxOwnerUPN"), get(ev, event.UserName), "(mailbox not named)")
		ids := values(ev, "Folders.FolderItems.InternetMessageId")
		if len(ids) == 0 {
			ids = values(ev, "Folders.Path")
		}
		if len(ids) == 0 {
			ids = []string{""}
		}
		out := make([]access, 0, len(ids))
		for _, id := range ids {
			out = append(out, access{kind: KindMailbox, container: box, object: id, action: op})
		}
		return out
	case cloudFileOps[op]:
		site := firstOf(get(ev, "SiteUrl"), "(site not named)")
		obj := firstOf(get(ev, "ObjectId"), get(ev, event.URLOriginal), get(ev, "SourceFileName"))
		return []access{{kind: KindSite, container: site, object: obj, action: op}}
	}
	return nil
}

// dataSet gathers accesses per container, within the report's bounds.
type dataSet struct {
	containers map[string]*container
	distinct   int // objects tracked, against MaxDistinct
	// shareRoots maps a host key to its shares' local paths (lower case,
	// with a trailing backslash) and their container names, from 5145.
	shareRoots map[string]map[string]string
}

type container struct {
	Data
	host     string
	objects  map[string]*Object
	accounts map[string]bool
}

func containerKey(kind, name string) string { return kind + "\x00" + strings.ToLower(name) }

// add records one access at t by account.
func (b *builder) addData(a access, ev *event.Event) {
	ds := &b.data
	if ds.containers == nil {
		ds.containers = map[string]*container{}
		ds.shareRoots = map[string]map[string]string{}
	}
	if a.kind == KindShare && get(ev, "ShareLocalPath") != "" {
		root := strings.ToLower(strings.TrimPrefix(get(ev, "ShareLocalPath"), `\??\`))
		root = strings.TrimSuffix(root, `\`) + `\`
		if ds.shareRoots[a.host] == nil {
			ds.shareRoots[a.host] = map[string]string{}
		}
		if len(ds.shareRoots[a.host]) < 100 {
			ds.shareRoots[a.host][root] = a.container
		}
	}
	c := b.container(a.kind, a.container, a.host)
	if c == nil {
		return
	}
	denied := get(ev, event.EventOutcome) == event.OutcomeFailure
	c.touch(ev.Time, denied)
	if acct := get(ev, event.UserName); acct != "" && len(c.accounts) < 100 {
		c.accounts[acct] = true
	}
	if a.object == "" {
		return
	}
	o, ok := c.objects[a.object]
	if !ok {
		if ds.distinct >= b.cfg.MaxDistinct {
			c.Truncated, b.rep.Truncated.Objects = true, true
			return
		}
		ds.distinct++
		o = &Object{Name: a.object, First: ev.Time, Last: ev.Time}
		c.objects[a.object] = o
	}
	o.Count++
	if denied {
		o.Denied++
	}
	o.First, o.Last = minTime(o.First, ev.Time), maxTime(o.Last, ev.Time)
	if !slices.Contains(o.Actions, a.action) && len(o.Actions) < maxActions {
		o.Actions = append(o.Actions, a.action)
	}
	if acct := get(ev, event.UserName); acct != "" && !slices.Contains(o.Accounts, acct) && len(o.Accounts) < maxActions {
		o.Accounts = append(o.Accounts, acct)
	}
}

// container finds or makes a container; nil past MaxContainers.
func (b *builder) container(kind, name, host string) *container {
	k := containerKey(kind, name)
	if c, ok := b.data.containers[k]; ok {
		return c
	}
	if len(b.data.containers) >= b.cfg.MaxContainers {
		b.rep.Truncated.Containers = true
		return nil
	}
	c := &container{Data: Data{Kind: kind, Name: name}, host: host, objects: map[string]*Object{}, accounts: map[string]bool{}}
	b.data.containers[k] = c
	return c
}

func (c *container) touch(t time.Time, denied bool) {
	if c.Accesses == 0 {
		c.First, c.Last = t, t
	}
	c.Accesses++
	if denied {
		c.Denied++
	}
	c.First, c.Last = minTime(c.First, t), maxTime(c.Last, t)
}

// foldShares moves the files of a host read under a share's local path
// (4663 ObjectName D:\Shares\Cases\x.pdf) into that share (\\FS01\Cases,
// object x.pdf), so that one file read through both events counts once.
func (b *builder) foldShares() {
	for k, c := range b.data.containers {
		roots := b.data.shareRoots[c.host]
		if c.Kind != KindFiles || len(roots) == 0 {
			continue
		}
		for name, o := range c.objects {
			lower := strings.ToLower(name)
			for root, share := range roots {
				if !strings.HasPrefix(lower, root) {
					continue
				}
				dst := b.data.containers[containerKey(KindShare, share)]
				if dst == nil {
					break
				}
				rel := name[len(root):]
				if d, ok := dst.objects[rel]; ok {
					d.Count += o.Count
					d.Denied += o.Denied
					d.First, d.Last = minTime(d.First, o.First), maxTime(d.Last, o.Last)
					for _, a := range o.Actions {
						if !slices.Contains(d.Actions, a) && len(d.Actions) < maxActions {
							d.Actions = append(d.Actions, a)
						}
					}
					for _, a := range o.Accounts {
						if !slices.Contains(d.Accounts, a) && len(d.Accounts) < maxActions {
							d.Accounts = append(d.Accounts, a)
						}
					}
				} else {
					o.Name = rel
					dst.objects[rel] = o
				}
				dst.Accesses += o.Count
				dst.Denied += o.Denied
				dst.First, dst.Last = minTime(dst.First, o.First), maxTime(dst.Last, o.Last)
				for a := range c.accounts {
					dst.accounts[a] = true
				}
				c.Accesses -= o.Count
				c.Denied -= o.Denied
				delete(c.objects, name)
				break
			}
		}
		if len(c.objects) == 0 && c.Accesses <= 0 {
			delete(b.data.containers, k)
		}
	}
}

// dataReport lists the containers, most objects first.
func (b *builder) dataReport() []Data {
	b.foldShares()
	out := []Data{}
	for _, c := range b.data.containers {
		d := c.Data
		d.Accounts = sortedKeys(c.accounts)
		d.ObjectsTotal = len(c.objects)
		objs := make([]Object, 0, len(c.objects))
		for _, o := range c.objects {
			objs = append(objs, *o)
		}
		slices.SortFunc(objs, func(a, b Object) int { return cmp.Or(a.First.Compare(b.First), strings.Compare(a.Name, b.Name)) })
		if len(objs) > b.cfg.MaxObjects {
			objs = objs[:b.cfg.MaxObjects]
			b.rep.Truncated.Objects = true
		}
		d.Objects = objs
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Data) int {
		return cmp.Or(cmp.Compare(b.ObjectsTotal, a.ObjectsTotal), cmp.Compare(b.Accesses, a.Accesses), strings.Compare(a.Name, b.Name))
	})
	return out
}
