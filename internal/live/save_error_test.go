package live

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/mnist"
)

// Each file-system failure gets its reason, kind and advice. EROFS and
// ENOSPC cannot be produced here (tests run as root, without a read-only
// or full mount), so they are the errors the write would wrap.
func TestSaveErrorReasons(t *testing.T) {
	path := "/data/run.safetensors"
	wrap := func(errno syscall.Errno) error {
		return fmt.Errorf("atomicfile: %w", &fs.PathError{Op: "open", Path: "/data/.run.tmp-1", Err: errno})
	}
	for _, tc := range []struct {
		err    error
		reason string
		kind   apperr.Kind
		want   string
	}{
		{wrap(syscall.EROFS), SaveReadOnly, apperr.Conflict, "the folder is read-only: /data"},
		{wrap(syscall.ENOENT), SaveNoFolder, apperr.Conflict, "the folder does not exist: /data"},
		{wrap(syscall.EACCES), SavePermission, apperr.Conflict, "may not write in the folder /data"},
		{wrap(syscall.ENOTDIR), SaveNotFolder, apperr.Conflict, "part of the path /data/run.safetensors is a file, not a folder"},
		{wrap(syscall.ENOSPC), SaveDiskFull, apperr.Unavailable, "the disk is full: /data"},
		{wrap(syscall.EIO), SaveOther, apperr.Unavailable, "The server log says why"},
	} {
		e := saveError(path, tc.err)
		if e.Code != "checkpoint_save_"+tc.reason || e.Kind != tc.kind || !strings.Contains(e.Message("en"), tc.want) || !errors.Is(e, tc.err) {
			t.Errorf("%v: %s %v %q, want %s %v %q", tc.err, e.Code, e.Kind, e.Message("en"), tc.reason, tc.kind, tc.want)
		}
		if ko := e.Message("ko"); ko == e.Message("en") || strings.Contains(ko, "{") {
			t.Errorf("%v: no Korean message: %q", tc.err, ko)
		}
	}
}

// A symlinked checkpoint is followed: saves replace the file it names and
// keep the link; a reset removes that file, not the link; a restart
// restores through the link.
func TestCheckpointSymlinkFollowed(t *testing.T) {
	train, test := mnist.RandomSet(256, 1), mnist.RandomSet(64, 2)
	dir := t.TempDir()
	disk := filepath.Join(dir, "disk")
	if err := os.Mkdir(disk, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(disk, "run.safetensors")
	link := filepath.Join(dir, "run.safetensors")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	m, _ := ckptManager(t, link, train, test, Options{})
	if _, err := m.Start(context.Background(), &Config{Net: "small", Optimizer: "adam", LR: 0.002, BatchSize: 16}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a step", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.latestProgress != nil && m.latestProgress.Step >= 1
	})
	if _, _, err := m.SaveCheckpoint(context.Background()); err != nil {
		t.Fatalf("save through a link: %v", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by the save")
	}
	readCheckpoint(t, target, train, test) // the file the link names holds the run
	m.Close()

	r, _ := ckptManager(t, link, train, test, Options{})
	if ok, err := r.RestoreCheckpoint(context.Background()); !ok || err != nil {
		t.Fatalf("restore through the link: %v %v", ok, err)
	}
	r.Reset()
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("reset kept the checkpoint the link names: %v", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("reset removed the link itself")
	}
}
