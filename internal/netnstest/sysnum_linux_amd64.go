package netnstest

// The syscall package's table for amd64 predates setns.
const sysSetns = 308
