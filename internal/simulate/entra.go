package simulate

import (
	"net/netip"
	"strconv"
	"time"
)

// Entra ID sign-in error codes used here.
const (
	entraOK            = 0
	entraBadPassword   = 50126
	entraNoSuchUser    = 50034
	failureBadPassword = "Error validating credentials due to invalid username or password."
	failureNoSuchUser  = "The user account does not exist in the directory. To sign into this application, the account must be added to the directory."
)

// device is what Entra records of the client.
type device struct {
	os, browser string
	managed     bool
	deviceID    string
	name        string
}

// signIn describes one Entra sign-in.
type signIn struct {
	upn, display, userID string
	app                  string // appDisplayName
	resource             string // resourceDisplayName
	ip                   netip.Addr
	country              *country
	clientApp            string // "Browser", "Mobile Apps and Desktop clients"
	dev                  device
	errorCode            int
	mfa                  bool
	conditionalAccess    string // "success", "notApplied", "failure"
	agent                string // user agent, for the Microsoft 365 record
}

// entraSignIn adds a Microsoft Graph signIn resource as one JSON line, and
// the matching Microsoft 365 audit record (UserLoggedIn or
// UserLoginFailed), as both logs carry every interactive sign-in.
func (b *builder) entraSignIn(r rng, t time.Time, s signIn, m mal) {
	status := obj{{"errorCode", s.errorCode}, {"failureReason", "Other."}, {"additionalDetails", nil}}
	switch s.errorCode {
	case entraOK:
		if s.mfa {
			status[2].v = "MFA completed in Azure AD"
		}
	case entraBadPassword:
		status[1].v = failureBadPassword
		status[2].v = "The user didn't enter the right credentials. It's expected to see some number of these errors in your logs due to users making mistakes."
	case entraNoSuchUser:
		status[1].v = failureNoSuchUser
		status[2].v = "The user account doesn't exist in the tenant."
	}
	ca := s.conditionalAccess
	if ca == "" {
		ca = "notApplied"
	}
	appID := b.org.apps[s.app]
	resource := s.resource
	if resource == "" {
		resource = s.app
	}
	resourceID := b.org.apps[resource]
	if resourceID == "" {
		resourceID = appID
	}
	correlation := r.uuid()
	rec := obj{
		{"id", r.uuid()},
		{"createdDateTime", isoSec(t)},
		{"userDisplayName", s.display},
		{"userPrincipalName", s.upn},
		{"userId", s.userID},
		{"appId", appID},
		{"appDisplayName", s.app},
		{"ipAddress", s.ip.String()},
		{"clientAppUsed", s.clientApp},
		{"correlationId", correlation},
		{"conditionalAccessStatus", ca},
		{"isInteractive", true},
		{"riskDetail", "none"},
		{"riskLevelAggregated", "none"},
		{"riskLevelDuringSignIn", "none"},
		{"riskState", "none"},
		{"riskEventTypes", []string{}},
		{"riskEventTypes_v2", []string{}},
		{"resourceDisplayName", resource},
		{"resourceId", resourceID},
		{"status", status},
		{"deviceDetail", obj{
			{"deviceId", s.dev.deviceID},
			{"displayName", s.dev.name},
			{"operatingSystem", s.dev.os},
			{"browser", s.dev.browser},
			{"isCompliant", s.dev.managed},
			{"isManaged", s.dev.managed},
			{"trustType", trustType(s.dev.managed)},
		}},
		{"location", obj{
			{"city", s.country.city},
			{"state", s.country.state},
			{"countryOrRegion", s.country.code},
			{"geoCoordinates", obj{{"altitude", nil}, {"latitude", s.country.lat}, {"longitude", s.country.lon}}},
		}},
		{"appliedConditionalAccessPolicies", []obj{}},
	}
	if m.stage != "" {
		if m.entities.UserName == "" {
			m.entities.UserName = s.upn
		}
		if m.entities.SourceIP == "" {
			m.entities.SourceIP = s.ip.String()
		}
	}
	b.add(record{t: t, file: fileEntra, source: "entra", body: rec.bytes(), label: m.label()})
	b.userLoggedIn(r, t.Add(r.between(time.Second, 40*time.Second)), s, appID, m)
}

func trustType(managed bool) string {
	if managed {
		return "Hybrid Azure AD joined"
	}
	return ""
}

// userLoggedIn adds the Microsoft 365 audit record of a sign-in.
func (b *builder) userLoggedIn(r rng, t time.Time, s signIn, appID string, m mal) {
	op, result, detail := "UserLoggedIn", "Success", "Success"
	if s.errorCode != entraOK {
		op, result, detail = "UserLoginFailed", "Failed", "Redirect"
	}
	rec := b.org.m365Common(r, t, op, recordAzureActiveDirectoryLog, "AzureActiveDirectory", s.upn, s.userID, s.ip.String(), appID)
	rec = rec.add("ResultStatus", result)
	rec = append(rec,
		kv{"AzureActiveDirectoryEventType", 1},
		kv{"ExtendedProperties", []obj{
			{{"Name", "ResultStatusDetail"}, {"Value", detail}},
			{{"Name", "UserAgent"}, {"Value", s.agent}},
			{{"Name", "RequestType"}, {"Value", "Login:login"}},
		}},
		kv{"ModifiedProperties", []obj{}},
		kv{"Actor", []obj{{{"ID", s.userID}, {"Type", 0}}, {{"ID", s.upn}, {"Type", 5}}}},
		kv{"ActorContextId", b.org.tenantID},
		kv{"ActorIpAddress", s.ip.String()},
		kv{"InterSystemsId", r.uuid()},
		kv{"IntraSystemId", r.uuid()},
		kv{"SupportTicketId", ""},
		kv{"Target", []obj{{{"ID", appID}, {"Type", 0}}}},
		kv{"TargetContextId", b.org.tenantID},
		kv{"ApplicationId", appID},
		kv{"ErrorNumber", strconv.Itoa(s.errorCode)},
	)
	if s.errorCode != entraOK {
		rec = rec.add("LogonError", "InvalidUserNameOrPassword")
	}
	b.m365(t, rec, m, s.upn, s.ip.String())
}
