package live

import (
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/atomicfile"
)

// The reasons a checkpoint save fails: the error's code is
// "checkpoint_save_<reason>", its message (err.checkpoint_save_<reason>
// in the catalogues) says why and what to do, with the folder {dir} and
// the file {path}.
const (
	SaveNoFolder   = "no_folder"  // the folder does not exist
	SaveReadOnly   = "read_only"  // the folder is on a read-only file system
	SavePermission = "permission" // the server may not write in the folder
	SaveNotFolder  = "not_folder" // part of the folder path is a file
	SaveDiskFull   = "disk_full"  // no space left (or over quota)
	SaveNotFile    = "not_file"   // the checkpoint path is a folder, device or pipe
	SaveOther      = "other"      // anything else (the cause is logged)
)

// saveError is the *apperr.Error of a checkpoint write to path that
// failed with err: kind Conflict when the configured path must change (the
// folder is missing, read-only, not writable, not a folder; the path not
// a file), Unavailable when the disk is full or the cause is unknown (the
// cause is kept for the log).
func saveError(path string, err error) *apperr.Error {
	reason, kind := SaveOther, apperr.Unavailable
	switch {
	case errors.Is(err, atomicfile.ErrNotRegular):
		reason, kind = SaveNotFile, apperr.Conflict
	case errors.Is(err, syscall.ENOTDIR):
		reason, kind = SaveNotFolder, apperr.Conflict
	case errors.Is(err, fs.ErrNotExist):
		reason, kind = SaveNoFolder, apperr.Conflict
	case errors.Is(err, syscall.EROFS):
		reason, kind = SaveReadOnly, apperr.Conflict
	case errors.Is(err, fs.ErrPermission):
		reason, kind = SavePermission, apperr.Conflict
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		reason = SaveDiskFull
	}
	return apperr.New(kind, "checkpoint_save_"+reason,
		apperr.A("dir", filepath.Dir(path)), apperr.A("path", path)).Wrap(err)
}
