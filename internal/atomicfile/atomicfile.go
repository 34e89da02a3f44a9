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
//
// A symbolic link at path is followed: the file it points to is replaced
// (in its own folder) and the link is kept, so a checkpoint linked onto
// another disk stays there, and reading and writing see the same file. A
// path that exists and is not a regular file (a device, a FIFO, a folder)
// is refused with ErrNotRegular, never renamed over.
func Write(path string, perm os.FileMode, fill func(w io.Writer) error) (err error) {
	path, err = resolveLinks(path)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("atomicfile: %s exists and is not a regular file, so it is not replaced: %w", path, ErrNotRegular)
	}
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

// Target is the file Write replaces for path: path itself, or the file
// its symbolic link names (followed repeatedly; it need not exist yet).
// Remove Target(path) to delete what Write wrote and keep the link.
func Target(path string) (string, error) { return resolveLinks(path) }

// resolveLinks follows the symbolic links at path (the last element,
// repeatedly) to the file they name, which need not exist yet.
func resolveLinks(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path, nil
		}
		target, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
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
