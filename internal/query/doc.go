// Package query parses and evaluates the search language analysts know from
// Kibana and Lucene: field:value, "quoted phrases", wildcards, ranges
// field:[a TO b], AND / OR / NOT, parentheses, and bare words matched
// against the full text.
//
// Parse returns an Expr tree; Match evaluates it against one event. Store
// backends translate the same tree into their own query language and may use
// Match to check candidates. Syntax errors carry the byte offset of the fault.
package query
