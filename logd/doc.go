// Package logd is cluster-glue's logging daemon (ha_logd) in hbd: the
// record a cl_log client sends it (LD_LOGIT: a 96-byte header with the
// facility, priority, pid, entity and time stamp, then the text), the
// line it writes for that record, a client that sends records to a
// running logd, and a server that serves /var/lib/heartbeat/log_daemon on
// package ipc for ha_logger and every other cl_log client, writing the
// files of a logd.cf.
//
// The server never waits for a file: the loop decodes a record, formats
// its line and hands it to a bounded queue that one writer goroutine
// drains; lines that do not fit are dropped, counted and said. The client
// (Sender) is for a goroutine that may block for a bounded time (hblog's
// writer): it never runs on the event loop.
//
// It must not decide what a daemon logs nor parse heartbeat's ha.cf; it
// knows the logd protocol, logd.cf and the file format only.
package logd
