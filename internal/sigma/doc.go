// Package sigma parses Sigma rules (detection, correlation and filter rules
// of the Sigma specification 2.x) into Rule values, with the position of
// every part so that errors read "file:line:col: message".
//
// Parsing checks the rule against the specification: it does not resolve
// log sources or compile values. Package match compiles a rule set into
// one matcher, package logsource maps log sources to events, and package
// correlate evaluates correlation rules.
package sigma
