//go:build unix

package conv

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used (all threads). The machine
// the benchmarks were tuned on is shared, so beside ns/op (wall time) the
// benchmarks report cpu-ns/op, which other processes disturb far less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
