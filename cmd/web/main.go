// Command web serves convlab: the convolution visualizer, the animations,
// live MNIST training and draw-a-digit. The server lives in
// internal/server; see docs/ARCHITECTURE.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/convlab/convlab/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "convlab:", err)
		os.Exit(1)
	}
}

// run is the whole program: flags and environment in, a server until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	return server.Run(ctx, args, getenv, stdout)
}
