//go:build !(amd64 || arm64) || purego

package conv

// No SIMD kernels on this architecture (or with -tags purego): the portable
// Go kernel does the work.
