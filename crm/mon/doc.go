// Package mon renders a cluster's status as Pacemaker 2.1.5's crm_mon
// prints it (one-shot text and --output-as=xml), from a CIB already parsed
// and unpacked by crm/pe. hbctl's crm_mon, crm_resource --list and
// crm_simulate's personalities print through it, so that a CIB_file gives
// the same text under hbd's tools as under Pacemaker's.
//
// It is pure: it imports crm/pe and the standard library only, reads no
// clock, file or environment (the "Last updated" stamp and the time zone
// are inputs), and changes nothing in the cluster it is given.
package mon
