// Package entra decodes Microsoft Entra ID (formerly Azure AD) sign-in and
// audit logs.
//
// Two record shapes are accepted, record by record:
//
//   - Microsoft Graph resources, as GET /auditLogs/signIns and
//     GET /auditLogs/directoryAudits return them (v1.0 or beta) and as the
//     Entra admin center downloads them: signIn (createdDateTime,
//     userPrincipalName, ipAddress, status.errorCode, location…,
//     deviceDetail…) and directoryAudit (activityDateTime,
//     activityDisplayName, result, initiatedBy.user… or initiatedBy.app…,
//     targetResources…);
//   - Azure Monitor's diagnostic-settings export of the same logs (Event
//     Hub or storage account): an envelope (time, category "SignInLogs",
//     "NonInteractiveUserSignInLogs", "AuditLogs"…, operationName,
//     resultType, callerIpAddress, tenantId) around the resource in
//     "properties".
//
// and four framings, told apart by the first bytes: a Graph collection page
// ({"@odata.context":…,"value":[…]}, "@odata.context" first, as OData
// writes it; "@odata.nextLink" and the other page members are skipped); an
// Event Hub message of Azure Monitor ({"records":[…]}, "records" first); a
// JSON array of records; one record per line (the storage account's
// PT1H.json blobs, line-delimited since November 2018, or any export).
// Pages, messages and arrays may follow one another. They are read as a
// stream by the framing scanner of package cloudtrail (frame.go): a
// record's Raw is its exact bytes, a record that does not parse becomes a
// pipeline-error event, one over the size limit is rejected, and a stream
// whose framing breaks delivers every record before the fault, then Decode
// returns a *FormatError naming the byte offset.
//
// Each record is flattened with package jsonl under its own names, which
// the Sigma log source mapping renames rules' Log Analytics names to
// (status.errorCode in Graph records, properties.status.errorCode and
// resultType in the diagnostic export), and gets ECS fields. Every known
// record: cloud.provider "azure" and cloud.account.id (tenantId, else
// resourceTenantId). Sign-ins: event.category "authentication",
// event.dataset "azure.signinlogs", event.action (operationName, "Sign-in
// activity"), event.outcome ("success" when status.errorCode is 0, else
// "failure", so an interrupted sign-in such as 50140 is a failure; without
// a status, from resultType), error.code and error.message on failure,
// user.name (userPrincipalName), user.id, user.full_name, source.ip
// (ipAddress, else callerIpAddress), source.geo.country_iso_code,
// city_name, region_name and location.lat/lon (location…), and
// user_agent.original (userAgent, beta and the export only). Audit
// records: event.category "iam", event.dataset "azure.auditlogs",
// event.action (activityDisplayName), event.outcome (result: timeout is a
// failure), user.name, user.id and source.ip of the initiating user
// (initiatedBy.user…; an application initiator has only its original
// fields), and the targets of type User (user.target.name, its
// userPrincipalName or displayName, and user.target.id) and Group
// (user.target.group.name and .id). Other categories of the diagnostic
// export (provisioning, risk events) get event.action from operationName
// only. The time is the envelope's time, else createdDateTime or
// activityDateTime. Names are matched without regard to case, for the
// PascalCase of PowerShell exports and the "Type" in some of Microsoft's
// own targetResources.
//
// Non-goals: Log Analytics exports (SigninLogs, AuditLogs rows in
// PascalCase: package jsonl, mapped as they are), the subscription activity
// log and other Azure resource logs, a pretty-printed single object outside
// an array, and UTF-16 input.
package entra
