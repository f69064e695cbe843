// Package notify tells people what Vigie found: it routes messages about
// alerts, incidents and response decisions to webhook, e-mail and syslog
// (CEF) targets, groups the messages of one incident or rule into one
// notification, and limits how many notifications each target receives.
//
// A producer calls Notifier.Notify, which never blocks: the message is
// routed at once and put on each chosen target's bounded queue, or dropped
// and counted when that queue is full. Notifier.Run delivers. Each target
// has its own two goroutines, one grouping and rate-limiting, one
// delivering with a bounded number of retries, so a target that hangs or
// fails delays nobody else.
//
// Grouping: messages with the same Key arriving within GroupWait of the
// first become one Notification that counts and lists the changes. Rate
// limit: a target receives at most Rate notifications per minute; the
// groups over the limit are folded into the next notification as "N more
// changes", and sent on their own once the limit allows when nothing else
// comes.
//
// Webhook destinations are checked when the connection is dialled, so a
// name that resolves to a loopback, private, link-local or unspecified
// address is refused (DNS rebinding included) unless the target sets
// allow_private.
//
// Non-goals: notify does not store notifications (the audit log and the
// incident timeline do), does not deliver what is still grouped when Run's
// context ends, and does not template messages.
package notify
