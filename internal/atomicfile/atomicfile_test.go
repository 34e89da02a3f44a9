package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteFileCreatesAndReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.bin")
	if err := WriteFile(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("second, longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "second, longer" {
		t.Fatalf("read %q, %v", got, err)
	}
	st, _ := os.Stat(path)
	// The mode is set with Chmod, so it is exact (no umask), replacing the
	// first write's 0600.
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want -rw-r--r--", st.Mode().Perm())
	}
	assertOnly(t, dir, "model.bin")
}

func TestWriteFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("encoder failed halfway")
	err := Write(path, 0o644, func(w io.Writer) error {
		w.Write([]byte("half of the new con"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "old" {
		t.Fatalf("old file became %q", got)
	}
	assertOnly(t, dir, "state.json")
}

func TestWriteIntoMissingFolder(t *testing.T) {
	err := WriteFile(filepath.Join(t.TempDir(), "missing", "x"), []byte("x"), 0o644)
	if err == nil {
		t.Fatal("wrote into a folder that does not exist")
	}
}

func TestWriteRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := WriteFile("plain.txt", []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "plain.txt"))
	if err != nil || string(got) != "hi" {
		t.Fatalf("read %q, %v", got, err)
	}
	assertOnly(t, dir, "plain.txt")
}

// assertOnly checks dir holds exactly the named file: no temporary files
// are left behind.
func assertOnly(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("folder holds %v, want only %s", names, name)
	}
}
