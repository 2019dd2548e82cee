package cpubench

import "github.com/hbd-ha/hbd/internal/sysio"

const supported = true

func threadCPU() int64 { return int64(sysio.ThreadCPUTime()) }
