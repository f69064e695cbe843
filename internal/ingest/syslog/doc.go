// Package syslog receives syslog over the network: UDP (one message per
// datagram), TCP and TLS with either framing of RFC 6587 — octet counting
// ("LEN SP MSG") or newline-terminated — detected per message.
//
// Messages are decoded by the function given in Config (RFC 5424 or 3164)
// and queued with Enqueue in small batches. Syslog has no acknowledgement,
// so when the ingest queue is full a TCP connection simply stops being
// read, and TCP flow control slows the sender; UDP datagrams that arrive
// while the reader waits are dropped by the kernel, as with any UDP
// receiver (count them with the host's UDP receive-error counters).
//
// Oversized messages are rejected with reason "too_large" and counted; a
// TCP stream whose framing cannot be recovered (an octet count that is not
// a number) is closed after the fault is counted as "bad_framing".
package syslog
