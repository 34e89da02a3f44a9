package live

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"syscall"

	"github.com/convlab/convlab/internal/atomicfile"
)

// SaveError is a checkpoint that could not be written, with the reason
// in a word (Reason) so the server can tell the teacher, in the page's
// language, what is wrong and what to do; Error() is the English text.
type SaveError struct {
	Reason string // one of the Save* reasons below
	Path   string // the checkpoint file
	Dir    string // its folder
	Err    error  // the file system's error
}

// The reasons a checkpoint save fails.
const (
	SaveNoFolder   = "no_folder"  // the folder does not exist
	SaveReadOnly   = "read_only"  // the folder is on a read-only file system
	SavePermission = "permission" // the server may not write in the folder
	SaveNotFolder  = "not_folder" // part of the folder path is a file
	SaveDiskFull   = "disk_full"  // no space left (or over quota)
	SaveNotFile    = "not_file"   // the checkpoint path is a folder, device or pipe
	SaveOther      = "other"      // anything else (the cause is in Err)
)

func (e *SaveError) Unwrap() error { return e.Err }

// Status is the HTTP status for the save request: 507 for a full disk,
// 409 for the other problems of the configured path (the teacher or the
// operator must change the folder), 500 otherwise.
func (e *SaveError) Status() int {
	switch e.Reason {
	case SaveDiskFull:
		return http.StatusInsufficientStorage
	case SaveOther:
		return http.StatusInternalServerError
	}
	return http.StatusConflict
}

func (e *SaveError) Error() string {
	switch e.Reason {
	case SaveNoFolder:
		return fmt.Sprintf("the checkpoint was not saved: the folder does not exist: %s. Create it, or restart the server with -checkpoint in a folder that exists", e.Dir)
	case SaveReadOnly:
		return fmt.Sprintf("the checkpoint was not saved: the folder is read-only: %s. Restart the server with -checkpoint on a disk it can write to", e.Dir)
	case SavePermission:
		return fmt.Sprintf("the checkpoint was not saved: the server may not write in the folder %s. Give it permission, or restart the server with -checkpoint in another folder", e.Dir)
	case SaveNotFolder:
		return fmt.Sprintf("the checkpoint was not saved: part of the path %s is a file, not a folder. Restart the server with a -checkpoint path whose folders exist", e.Path)
	case SaveDiskFull:
		return fmt.Sprintf("the checkpoint was not saved: the disk is full: %s. Free some space, then save again", e.Dir)
	case SaveNotFile:
		return fmt.Sprintf("the checkpoint was not saved: %s is a folder, a device or a pipe, not a file. Restart the server with another -checkpoint path", e.Path)
	}
	return fmt.Sprintf("the checkpoint was not saved to %s: %v", e.Path, e.Err)
}

// saveError classifies err, from writing the checkpoint at path.
func saveError(path string, err error) *SaveError {
	e := &SaveError{Reason: SaveOther, Path: path, Dir: filepath.Dir(path), Err: err}
	switch {
	case errors.Is(err, atomicfile.ErrNotRegular):
		e.Reason = SaveNotFile
	case errors.Is(err, syscall.ENOTDIR):
		e.Reason = SaveNotFolder
	case errors.Is(err, fs.ErrNotExist):
		e.Reason = SaveNoFolder
	case errors.Is(err, syscall.EROFS):
		e.Reason = SaveReadOnly
	case errors.Is(err, fs.ErrPermission):
		e.Reason = SavePermission
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		e.Reason = SaveDiskFull
	}
	return e
}
