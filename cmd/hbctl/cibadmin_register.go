package main

// cibadmin and haresources2cib join Pacemaker's other tools, as hbctl
// subcommands and as the names hbctl may be linked as.
func init() {
	crmTools["cibadmin"] = runCibadmin
	crmTools["haresources2cib"] = runHaresources2cib
}
