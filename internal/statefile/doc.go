// Package statefile reads and writes the small files heartbeat 3.0.6 keeps,
// in heartbeat's own formats, so that an hbd node and a heartbeat node can
// take each other's place on one machine: the pidfile (/run/heartbeat.pid),
// the generation (/var/lib/heartbeat/hb_generation, formatted by master) and
// the node uuid (/var/lib/heartbeat/hb_uuid).
package statefile
