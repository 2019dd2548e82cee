package main

import "io"

// crmTools are Pacemaker's command-line tools hbctl is, by subcommand
// (hbctl crm_mon ...) or by the name it is invoked as (a crm_mon link).
var crmTools = map[string]func(prog string, args []string, stdout, stderr io.Writer) int{
	"crm_mon":       runCrmMon,
	"crm_resource":  runCrmResource,
	"crm_verify":    runCrmVerify,
	"crm_attribute": runCrmAttribute,
	"crm_standby":   runCrmStandby,
	"crm_failcount": runCrmFailcount,
	"crm_node":      runCrmNode,
}
