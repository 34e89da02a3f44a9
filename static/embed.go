// Package static holds convlab's browser assets (CSS, ES modules, images),
// embedded in the binary so the server needs no files at run time.
//
// Add a directory: create it with at least one file and add its name to the
// //go:embed line below (an embed pattern that matches nothing does not
// compile).
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"strings"
	"sync"
)

// FS is the embedded asset tree: css/app.css, js/i18n.js, ...
//
//go:embed css js
var FS embed.FS

var (
	hashOnce sync.Once
	hashes   map[string]string // path inside FS → short content hash
)

func loadHashes() {
	hashes = map[string]string{}
	_ = fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := FS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		hashes[p] = hex.EncodeToString(sum[:6])
		return nil
	})
}

// Hash is a short hash of the content of the asset at path (inside FS,
// e.g. "css/app.css"), or "" if there is no such asset.
func Hash(path string) string {
	hashOnce.Do(loadHashes)
	return hashes[path]
}

// URL returns the versioned URL of a static URL such as
// "/static/css/app.css": "/static/css/app.css?v=<hash>". The server lets
// browsers cache a versioned URL for a year, so a change of content changes
// the URL. URLs that are not embedded assets are returned unchanged.
func URL(u string) string {
	p, ok := strings.CutPrefix(u, "/static/")
	if !ok || strings.Contains(p, "?") {
		return u
	}
	if h := Hash(p); h != "" {
		return u + "?v=" + h
	}
	return u
}
