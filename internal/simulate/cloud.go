package simulate

import (
	"fmt"
	"strings"
	"time"
)

// awsIdentity is who made a CloudTrail call.
type awsIdentity struct {
	user    *person // a member of staff through Entra single sign-on
	role    string  // the IAM role assumed
	service string  // an AWS service acting on its own ("backup.amazonaws.com")
	session string  // session name of a role assumed by a machine
	keyID   string  // the temporary access key
	saml    bool    // the SAML user before it assumes the role
}

// userIdentity returns the CloudTrail userIdentity object.
func (o *org) userIdentity(id awsIdentity, t time.Time) obj {
	if id.service != "" {
		return obj{{"type", "AWSService"}, {"invokedBy", id.service}}
	}
	if id.saml {
		return obj{
			{"type", "SAMLUser"},
			{"principalId", fmt.Sprintf("%x:%s", hash64(o.samlArn)&0xffffffffff, id.user.upn)},
			{"userName", id.user.upn},
			{"identityProvider", o.samlArn},
		}
	}
	session := id.session
	if id.user != nil {
		session = id.user.upn
	}
	roleID := awsRoleID(id.role)
	return obj{
		{"type", "AssumedRole"},
		{"principalId", roleID + ":" + session},
		{"arn", "arn:aws:sts::" + o.awsAccount + ":assumed-role/" + id.role + "/" + session},
		{"accountId", o.awsAccount},
		{"accessKeyId", id.keyID},
		{"sessionContext", obj{
			{"sessionIssuer", obj{
				{"type", "Role"},
				{"principalId", roleID},
				{"arn", "arn:aws:iam::" + o.awsAccount + ":role/" + id.role},
				{"accountId", o.awsAccount},
				{"userName", id.role},
			}},
			{"webIdFederationData", obj{}},
			{"attributes", obj{{"creationDate", isoSec(t.Add(-time.Duration(hash64(id.keyID)%3000) * time.Second))}, {"mfaAuthenticated", "false"}}},
		}},
	}
}

// apiCall is one CloudTrail record.
type apiCall struct {
	id        awsIdentity
	source    string // "ec2.amazonaws.com"
	name      string // "DescribeInstances"
	region    string
	ip        string
	agent     string
	readOnly  bool
	request   any // requestParameters: obj or nil
	response  any // responseElements: obj or nil
	extra     obj // additionalEventData
	eventType string
	console   bool
}

// cloudTrail adds a CloudTrail record, in the shape CloudTrail writes to
// S3, one record per line of the Records array.
func (b *builder) cloudTrail(r rng, t time.Time, c apiCall, m mal) {
	if c.region == "" {
		c.region = "eu-west-1"
	}
	if c.eventType == "" {
		c.eventType = "AwsApiCall"
	}
	rec := obj{
		{"eventVersion", "1.09"},
		{"userIdentity", b.org.userIdentity(c.id, t)},
		{"eventTime", isoSec(t)},
		{"eventSource", c.source},
		{"eventName", c.name},
		{"awsRegion", c.region},
		{"sourceIPAddress", c.ip},
		{"userAgent", c.agent},
		{"requestParameters", c.request},
		{"responseElements", c.response},
	}
	if c.extra != nil {
		rec = rec.add("additionalEventData", c.extra)
	}
	rec = append(rec,
		kv{"requestID", r.uuid()},
		kv{"eventID", r.uuid()},
		kv{"readOnly", c.readOnly},
		kv{"eventType", c.eventType},
		kv{"managementEvent", true},
		kv{"recipientAccountId", b.org.awsAccount},
		kv{"eventCategory", "Management"},
	)
	if c.eventType == "AwsApiCall" && c.id.service == "" {
		host := strings.TrimSuffix(c.source, ".amazonaws.com") + "." + c.region + ".amazonaws.com"
		rec = rec.add("tlsDetails", obj{{"tlsVersion", "TLSv1.3"}, {"cipherSuite", "TLS_AES_128_GCM_SHA256"}, {"clientProvidedHostHeader", host}})
	}
	if c.console {
		rec = rec.add("sessionCredentialFromConsole", "true")
	}
	if m.stage != "" {
		if m.entities.SourceIP == "" && !strings.HasSuffix(c.ip, ".amazonaws.com") {
			m.entities.SourceIP = c.ip
		}
		if m.entities.UserName == "" && c.id.user != nil {
			m.entities.UserName = c.id.user.upn
		}
	}
	b.add(record{t: t, file: fileCloudTrail, source: "cloudtrail", body: rec.bytes(), label: m.label()})
}

// consoleSignIn adds what AWS records when a member of staff opens the
// console through Entra: AssumeRoleWithSAML, then ConsoleLogin. It returns
// the identity of the session.
func (b *builder) consoleSignIn(r rng, t time.Time, p *person, ip, agent string, m mal) awsIdentity {
	id := awsIdentity{user: p, role: p.awsRole, keyID: "ASIA" + strings.ToUpper(r.word("abcdefghijklmnopqrstuvwxyz234567", 16))}
	roleArn := "arn:aws:iam::" + b.org.awsAccount + ":role/" + p.awsRole
	b.cloudTrail(r, t, apiCall{
		id:     awsIdentity{user: p, saml: true},
		source: "sts.amazonaws.com", name: "AssumeRoleWithSAML", region: "us-east-1", ip: ip, agent: agent,
		readOnly: true,
		request:  obj{{"sAMLAssertionID", "_" + r.uuid()}, {"roleSessionName", p.upn}, {"principalArn", b.org.samlArn}, {"roleArn", roleArn}, {"durationSeconds", 3600}},
		response: obj{
			{"credentials", obj{{"accessKeyId", id.keyID}, {"sessionToken", "IQoJb3JpZ2luX2VjE" + r.word(base62, 40)}, {"expiration", t.Add(time.Hour).UTC().Format("Jan 2, 2006, 3:04:05 PM")}}},
			{"assumedRoleUser", obj{{"assumedRoleId", awsRoleID(p.awsRole) + ":" + p.upn}, {"arn", "arn:aws:sts::" + b.org.awsAccount + ":assumed-role/" + p.awsRole + "/" + p.upn}}},
			{"subject", p.upn}, {"subjectType", "persistent"}, {"issuer", "https://sts.windows.net/" + b.org.tenantID + "/"}, {"audience", "https://signin.aws.amazon.com/saml"},
		},
	}, m)
	b.cloudTrail(r, t.Add(r.between(2*time.Second, 6*time.Second)), apiCall{
		id: id, source: "signin.amazonaws.com", name: "ConsoleLogin", region: "eu-west-1", ip: ip, agent: agent,
		eventType: "AwsConsoleSignIn",
		response:  obj{{"ConsoleLogin", "Success"}},
		extra:     obj{{"LoginTo", "https://console.aws.amazon.com/console/home"}, {"MobileVersion", "No"}, {"MFAUsed", "No"}, {"SamlProviderArn", b.org.samlArn}},
	}, m)
	return id
}

// awsRoleID returns the stable unique id of an IAM role: "AROA" and 17
// characters.
func awsRoleID(role string) string {
	return "AROA" + strings.ToUpper(fmt.Sprintf("%016x", hash64(role))) + "Q"
}
