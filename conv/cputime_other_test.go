//go:build !unix

package conv

import "time"

// cpuTime is not measured here (no getrusage): cpu-ns/op reads 0.
func cpuTime() time.Duration { return 0 }
