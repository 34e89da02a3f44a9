// Package atomicfile writes files so that readers see either the old
// content or the complete new content, never a half-written file, even if
// the program or the machine stops in the middle.
//
// The recipe: create a temporary file in the same folder (a rename is only
// atomic within one file system), write, fsync, close, rename over the
// target, then fsync the folder so the rename itself is durable.
package atomicfile

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile atomically replaces (or creates) path with data and permission
// perm (before umask).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}

// Write atomically replaces (or creates) path with what fill writes. If
// fill returns an error, nothing is replaced and the temporary file is
// removed.
func Write(path string, perm os.FileMode, fill func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close() // may already be closed; the error is irrelevant then
			os.Remove(tmp)
		}
	}()
	if err := fill(f); err != nil {
		return fmt.Errorf("atomicfile: writing %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable. Some systems (Windows) cannot open
// a folder for syncing; that is not an error there.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !os.IsPermission(err) {
		if pe, ok := err.(*os.PathError); ok && pe.Err != nil && isUnsupported(pe.Err) {
			return nil
		}
		return fmt.Errorf("atomicfile: syncing folder %s: %w", dir, err)
	}
	return nil
}
