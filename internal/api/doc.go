// Package api is Vigie's JSON HTTP API: search, alerts, sources, health
// and metrics, with the ingest transports (NDJSON push and the Elasticsearch
// bulk subset) mounted beside them. Every route but /healthz requires an
// API token (see package auth).
//
// Routes:
//
//	GET  /healthz                 liveness and store health (no token)
//	GET  /api/v1/events?q=&from=&to=&limit=&before=&count=   search
//	GET  /api/v1/events/{id}      one event
//	POST /api/v1/events           NDJSON ingest (package ndjson)
//	GET  /api/v1/alerts?level=&q=&from=&to=&limit=&before=   alerts, newest first
//	GET  /api/v1/sources          per-source counters
//	GET  /metrics                 Prometheus metrics
//	     /_bulk, /{index}/_bulk, / and the shipper handshake (package bulk)
package api
