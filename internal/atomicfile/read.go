package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// ErrNotRegular: the path is a device, a pipe (FIFO), a socket or a folder,
// not a file. Reading /dev/zero never ends and opening a FIFO waits for a
// writer, so such paths are refused before they are read.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge: the file is larger than the reader allows.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads the regular file at path (symbolic links followed), at
// most limit bytes. A path that is not a regular file fails with
// ErrNotRegular without blocking (it is opened non-blocking and checked
// again once open, so a file swapped for a FIFO in between is caught too);
// a larger file fails with ErrTooLarge. Errors name the path and say
// what was wrong.
func ReadFile(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(path, fi, limit); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := checkRegular(path, fi, limit); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit { // it grew while being read
		return nil, fmt.Errorf("%s is larger than %s: %w", path, sizeText(limit), ErrTooLarge)
	}
	return b, nil
}

func checkRegular(path string, fi os.FileInfo, limit int64) error {
	if !fi.Mode().IsRegular() {
		what := "a device, a pipe or a socket"
		if fi.IsDir() {
			what = "a folder"
		}
		return fmt.Errorf("%s is %s, not a file: give the path of a file: %w", path, what, ErrNotRegular)
	}
	if fi.Size() > limit {
		return fmt.Errorf("%s is %s, more than the %s allowed: %w", path, sizeText(fi.Size()), sizeText(limit), ErrTooLarge)
	}
	return nil
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
