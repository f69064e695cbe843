// Package query parses and evaluates the search language analysts know from
// Kibana and Lucene: field:value, "quoted phrases", wildcards, ranges
// field:[a TO b], AND / OR / NOT, parentheses, and bare words matched
// against the full text.
//
// Parse returns an Expr tree; Match evaluates it against one event, and
// Compile prepares it for matching many. Store backends translate the same
// tree into their own query language and may use a Matcher to check
// candidates. Syntax errors are *SyntaxError, with the byte offset of the
// fault, and match ErrSyntax.
//
// The package does not rank results, analyse text into stemmed tokens,
// evaluate date math such as "now-1d", or support fuzzy (~), boost (^),
// regular expression (/…/) or wildcard-field (user.*:x) queries.
//
// # Syntax
//
//	user.name:admin            field equals value
//	user.name:"ANONYMOUS LOGON" quoted value: white space and wildcards are literal
//	failed                     bare word: the full text has the word
//	"Failed password"          bare phrase: the full text contains it
//	source.ip:10.0.0.*         wildcards: * any run of characters, ? one character
//	mimi*                      wildcards work in bare words too
//	destination.port:[1 TO 1024]   inclusive range; {1 TO 1024} exclusive;
//	bytes:[1000 TO *]              mixed [a TO b} allowed; * is an open bound
//	bytes:>1000 bytes:<=5      comparisons: ranges with one open bound
//	_exists_:user.name         the field has a value; same as user.name:*
//	event.code:(4624 OR 4625)  a group applies the field to every value in it
//	a AND b, a && b            both
//	a OR b, a || b             either
//	NOT a, !a, -a              not
//	+a                         a (Lucene's "required" means nothing more here)
//	a b                        a AND b: adjacent terms are joined by AND
//	(a OR b) c                 parentheses group
//	*                          every event, as does the empty query
//
// Precedence is NOT, then AND (explicit or implicit), then OR: a OR b c
// means a OR (b AND c). Keywords are uppercase; "and", "or" and "not" are
// ordinary words. Adjacent terms mean AND, as in Kibana's KQL (Lucene's
// query_string defaults to OR): an analyst adding a word narrows a search.
// The prefix operators -, + and ! must touch their term.
//
// Field names are ASCII letters and digits, . _ @ - and non-ASCII
// characters (e.g. @timestamp, winlog.event_data.TargetUserName). White space may follow the ':'. In a
// value, ':' is literal (source.ip:fe80::1); in a bare word it ends the
// field name, so URLs and Windows paths as bare words must be quoted or
// have '\:'. A value may not be a bare AND, OR or NOT: quote it.
//
// A backslash makes the next character literal when that character is
// one of \ " : ( ) * ? [ ] { } < > ! + - & | or white space; before any
// other character the backslash is itself literal, so *\cmd.exe means what
// it says. Inside quotes only \" and \\ are escapes.
//
// Parse rejects queries longer than MaxQueryLen bytes, nested deeper than
// MaxDepth, with a wildcard pattern longer than MaxPatternLen, or not
// valid UTF-8.
//
// # Matching
//
// All matching ignores case: both sides are compared after lowercasing
// each rune (unicode.ToLower).
//
// A term with a field matches when any value of the field (a multi-valued
// field is repeated in Event.Fields) equals the value, or matches the
// pattern as a whole; in a pattern, '*' matches any run of characters,
// white space included, and '?' one character (rune). A quoted value is
// also compared as a whole value: user.name:"john smith" does not match
// "john smith jr". A missing field matches no term, so NOT user.name:x
// matches events without user.name.
//
// Bare words and phrases search the full text: the "message" field, or
// the raw record when the event has none (what event.Event.Message
// returns). Other fields are not searched. A bare word matches where it
// occurs as a whole word, that is not adjacent to a letter, digit or
// combining mark: admin matches "user=admin," and "svc_admin" but not
// "administrator". A bare word with wildcards matches a stretch of the
// text that starts and ends at such boundaries, in which the wildcards
// match no white space: admin* matches "administrator", *admin matches
// "sysadmin". A phrase matches anywhere as a substring.
//
// A range matches when any value of the field lies between its bounds.
// Each bound is compared with the value as numbers when both are numbers
// (ParseNumber), as instants when both are times (ParseTime: RFC 3339, or
// a date alone meaning midnight UTC), and bytewise as strings otherwise;
// note that string comparison is case-sensitive, and that it applies when
// a value is not a number: status:>=400 matches "abc".
//
// # Special fields
//
// These names address the typed members of event.Event rather than
// Event.Fields; an entry of Event.Fields with the same name is ignored.
//
//	name            member         as text                        notes
//	@timestamp      Time           RFC 3339, UTC, nanoseconds     ranges compare instants; a term
//	event.ingested  Received       RFC 3339, UTC, nanoseconds     with a time or date matches that
//	                                                              instant or that whole UTC day
//	event.kind      Kind           "event", "alert", "pipeline_error"
//	event.original  Raw            the raw record
//	_id             ID             decimal                        ranges compare numbers
//	vigie.source    Source         e.g. "syslog-udp/10.0.0.5"
//	vigie.format    Format         e.g. "syslog", "evtx"
//
// A special field has no value, so _exists_ is false, when the member is
// zero (empty for Raw); every event has a kind. Range bounds on the two
// time fields must be times or dates: Parse rejects others.
package query
