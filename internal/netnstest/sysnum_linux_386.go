package netnstest

// The syscall package's table for 386 predates setns.
const sysSetns = 346
