package atomicfile

import (
	"errors"
	"syscall"
)

// isUnsupported reports errors that mean "this file system cannot fsync a
// folder", which is harmless.
func isUnsupported(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported)
}
