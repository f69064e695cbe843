// Package scope answers, for one incident, "how far did it go, and was
// data taken?" from the events in the store.
//
// Build takes a Subject (the incident's accounts, hosts, addresses, time
// window and alert events) and a store.Searcher, and returns a Report:
//
//   - the accounts and hosts involved: the subject's, plus the hosts the
//     involved accounts logged on to, the hosts the involved addresses
//     tried to log on to, the accounts that logged on from an involved
//     address, and the accounts that logged on interactively to an
//     involved host after it was compromised; each with why it is there
//     and its first and last activity in the window;
//   - the movement: the authentication graph of the involved entities, as
//     edges in time order, and the first compromised entity (the earliest
//     successful logon from an outside address, else the earliest alert's
//     entity);
//   - the data accessed by the involved accounts and addresses: file share
//     reads (Windows 5140, 5145, 4663), Sysmon and auditd file events, S3
//     objects, secrets, SSM parameters, KMS keys, mailboxes, SharePoint and
//     OneDrive files, shared snapshots and images, per container;
//   - the outbound transfers from involved addresses and accounts, per
//     destination, against the source's usual daily bytes before the
//     window, with a verdict and its reason in words;
//   - the telemetry gaps: stretches of the window where an involved host,
//     account or log source was silent, or after its log was cleared or
//     stopped. A gap is stated as unknown, never as "nothing happened";
//   - which bounds were hit, so that a truncated answer says so.
//
// Every count is bounded by Config; memory does not grow with the number of
// events read, only with the bounded aggregates.
//
// Non-goals: the package does not decide which alerts form an incident
// (package incident does), does not read raw files, and does not resolve
// addresses to countries. It reads the store through store.Searcher only.
package scope
