// Package web is Vigie's analyst console: server-rendered HTML pages
// under /ui/ for triaging incidents, reading their scope, searching
// events, working the alert queue and making response decisions.
//
// Pages are html/template files and the one style sheet and one script
// are embedded; there is no build step. The console performs its actions
// through the same managers as the JSON API (package api), so that they
// are checked and audited the same way.
//
// Every route names the lowest role it needs (deny by default), every
// state-changing form is a POST carrying the session's CSRF token, and
// every response carries a strict Content-Security-Policy: no inline
// script or style, so that a value from a log can never run as code
// even if escaping failed. Pages work without JavaScript; the script only
// polls a small JSON endpoint to tell the analyst that something changed.
//
// The package does not authenticate by itself: users, sessions, passwords
// and their rate limits are package auth's, reached through Auth.
package web
