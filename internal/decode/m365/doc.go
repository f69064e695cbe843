// Package m365 decodes the Microsoft 365 unified audit log: the records of
// the Office 365 Management Activity API, in its common schema
// (CreationTime, Id, Operation, OrganizationId, RecordType, ResultStatus,
// UserKey, UserType, Workload, ClientIP, UserId, ObjectId) and the
// workload schemas that extend it (SharePoint and OneDrive file
// operations, Exchange mailbox and admin records, Azure AD logons…).
//
// Four framings are accepted, told apart by the first bytes:
//
//   - a JSON array of records, as the API's content blobs hold them;
//     several arrays may follow one another;
//   - one record per line;
//   - a wrapper object whose first member is "value" or "@odata.context"
//     (a page of records), read as package entra reads Graph pages;
//   - the CSV export of an audit log search (Microsoft Purview portal:
//     RecordId, CreationDate, RecordType, Operation, UserId, AuditData…;
//     Search-UnifiedAuditLog piped to Export-Csv: CreationDate, UserIds,
//     Operations, AuditData…, after an optional "#TYPE" line), recognised by
//     its header's AuditData column. A row may span lines inside quotes;
//     its Raw is the row.
//
// A record may also carry the audit record in an AuditData member, as a
// JSON string (Search-UnifiedAuditLog's objects, converted to JSON) or an
// object. Then, as for a CSV row, the event holds the audit record's
// fields, flattened with package jsonl under their own names (Operation,
// Workload, SourceFileName, Folders.FolderItems.InternetMessageId,
// ExtendedProperties.Name…), and the wrapper's other fields (RecordId,
// CreationDate, AssociatedAdminUnits…) when the audit record has no field
// of the same name. A record or row that does not parse becomes a
// pipeline-error event that keeps its bytes; one over the size limit is
// rejected; a stream whose JSON framing breaks delivers every record before
// the fault, then Decode returns a *FormatError naming the byte offset.
//
// ECS fields: event.action (Operation), event.provider (Workload),
// event.dataset ("o365.audit", Filebeat's name), user.name (UserId),
// user.id (UserKey), source.ip (ClientIP, else Exchange's ClientIPAddress,
// else Azure AD's ActorIpAddress; a port and brackets are removed),
// user_agent.original (UserAgent, else the UserAgent of Azure AD's
// ExtendedProperties), file.name and file.extension (SourceFileName,
// SourceFileExtension), url.original (ObjectId when it is a URL, as for
// SharePoint and OneDrive), event.category ("authentication" for Azure AD
// logons and MailboxLogin, "file" for SharePoint and OneDrive file
// operations, "email" for Exchange mailbox item records such as
// MailItemsAccessed, "iam" for other Azure AD records) and event.outcome.
// For Azure AD logons the schema warns that ResultStatus only reports the
// HTTP exchange: UserLoginFailed, a non-zero ErrorCode (as the schema
// names it; ErrorNumber as some records have it) or a LogonError make a
// failure (with error.code and error.message), anything else a
// success. Other records take ResultStatus: Succeeded (True for Exchange
// admin cmdlets) is a success, Failed (False) a failure,
// PartiallySucceeded unknown. RecordType is read as its number or its
// name. The time is CreationTime (UTC), else the CreationDate column. Names
// are matched without regard to case.
//
// Non-goals: the Microsoft Graph audit log query API's auditLogRecord
// (decoded as a wrapper of its auditData, its own names otherwise
// unmapped), CSV files in UTF-16 or with another separator, and the API's
// content listing (the blob URIs, not records).
package m365
