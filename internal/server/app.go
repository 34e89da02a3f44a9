package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convlab/convlab/animations"
	"github.com/convlab/convlab/internal/admission"
	"github.com/convlab/convlab/internal/live"
	"github.com/convlab/convlab/mnist"
	"github.com/labstack/echo/v4"
)

// config is what the command line (and environment) decide.
type config struct {
	Addr           string // listen address, default ":8080"
	MNISTDir       string // -mnist: directory of the MNIST files ("" = locate: MNIST_DIR, module cache)
	ModelPath      string // -model: a .safetensors model to serve instead of the shipped one ("" = shipped)
	PresenterToken string // -presenter-token or PRESENTER_TOKEN: "" = loopback requests and the start link present (presenter.go)
	CheckpointPath string // -checkpoint or CONVLAB_CHECKPOINT: the live run's checkpoint file ("" = off)

	// Server timeouts. Streaming handlers (SSE) lift the write deadline for
	// themselves with http.ResponseController (see docs/ARCHITECTURE.md).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	ShutdownTimeout   time.Duration

	BodyLimit int64 // default request body limit in bytes

	// Admission control of CPU-heavy work (admission.go); zero: defaults.
	Work admission.Options
	// MaxViewers caps the event streams open at once (training and
	// follow-along together); over it, 503.
	MaxViewers int
}

func defaultConfig() config {
	return config{
		Addr:              ":8080",
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ShutdownTimeout:   10 * time.Second,
		BodyLimit:         1 << 20,
		Work:              admission.Options{}.Defaults(),
		MaxViewers:        1000,
	}
}

// parseConfig reads the flags (args without the program name) and the
// environment.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("web", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (host:port)")
	fs.StringVar(&cfg.MNISTDir, "mnist", "", "directory holding the MNIST files (default: $MNIST_DIR, then the Go module cache)")
	fs.StringVar(&cfg.ModelPath, "model", "", "a .safetensors model to serve (default: the shipped model)")
	fs.StringVar(&cfg.PresenterToken, "presenter-token", "", "token needed to present: control training, lead the class (default: $PRESENTER_TOKEN; empty: the server's own machine presents, and a random presenter link is printed at start)")
	fs.StringVar(&cfg.CheckpointPath, "checkpoint", "", "file to checkpoint the live training run to, restored at startup (default: $CONVLAB_CHECKPOINT; empty: off)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", cfg.ShutdownTimeout, "how long shutdown waits for in-flight requests")
	fs.IntVar(&cfg.Work.Slots, "work-slots", cfg.Work.Slots, "CPU-heavy requests (conv, predict, custom GIFs) computed at once")
	fs.IntVar(&cfg.Work.Queue, "work-queue", cfg.Work.Queue, "CPU-heavy requests waiting at once; more get 503")
	fs.IntVar(&cfg.Work.PerClient, "work-per-client", cfg.Work.PerClient, "CPU-heavy requests one client address may have running or waiting")
	fs.DurationVar(&cfg.Work.Wait, "work-wait", cfg.Work.Wait, "longest wait for a CPU-heavy request before 503")
	fs.IntVar(&cfg.MaxViewers, "max-viewers", cfg.MaxViewers, "event streams (training and follow-along viewers) open at once; more get 503")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if cfg.PresenterToken == "" && getenv != nil {
		cfg.PresenterToken = getenv("PRESENTER_TOKEN")
	}
	if cfg.CheckpointPath == "" && getenv != nil {
		cfg.CheckpointPath = getenv("CONVLAB_CHECKPOINT")
	}
	return cfg, nil
}

// app holds the server's shared state. Feature helpers add their
// dependencies here (and their set-up to newApp, their tear-down to Close).
type app struct {
	cfg config
	out io.Writer // where the log goes, and the start-up links (lan.go)
	log *slog.Logger

	// streams is cancelled when the server starts shutting down: long-lived
	// handlers (SSE) select on it (a.streamsDone()) and return, so
	// http.Server.Shutdown does not wait for them.
	streams      context.Context
	cancelStream context.CancelFunc

	closeOnce sync.Once
	closers   []func() error // run by Close in reverse order

	// work admits CPU-heavy requests (admission.go); heavy is its route
	// middleware (reads the body, then takes a slot).
	work      *admission.Controller
	heavy     echo.MiddlewareFunc
	bodyBytes atomic.Int64 // request bodies held by heavy routes (admission.go)

	// viewers caps the event streams open at once (viewers.go).
	viewers viewerLimit

	// train/draw helper: the one shared training run (train_handlers.go).
	train *live.Manager
	// mnistData is the MNIST data set, loaded on first use; shared by the
	// training run and the network explorer (network_handlers.go).
	mnistData *live.MNIST
	// netLive is the explorer's live model: the training run's snapshot and
	// its step (a.train.LiveSnapshot); a test may put a fake here.
	netLive func() (*mnist.Net, int)

	// liveNets answers "model": "live" on /api/predict: the training run's
	// latest snapshot (a copy made about every second, and at each pause),
	// or nil before a run. It is a.train; a test may put a fake here.
	liveNets interface{ LiveNet() *mnist.Net }

	// model is the -model file's network, loaded and checked once at
	// startup (model_file.go); nil serves the embedded model.
	model *mnist.Net

	// classroom helper: the follow-along broadcast (follow_handlers.go).
	follow *followHub
	// lesson: the presenter's stop of /lesson, for followers (lesson.go).
	lesson *lessonHub
	// startToken: with no -presenter-token, the random token of the
	// presenter link printed at start (presenter.go).
	startToken string
	// isLocal tells a request from the server's own machine (presenter.go);
	// requestIsLocal, or a test's stand-in.
	isLocal func(*http.Request) bool
	// lanIPs lists the host's LAN addresses for the students' link
	// (lan.go); hostLANIPs, or a test's stand-in.
	lanIPs func() []net.IP

	// animations helper: rendered GIFs/PNGs (see a.animations()).
	animOnce  sync.Once
	animCache *animations.Cache
	memory    memoryReturner // memory.go: give memory back after render bursts
}

func newApp(cfg config, logw io.Writer) (*app, error) {
	return newAppContext(context.Background(), cfg, logw)
}

// testStartup, when set by a test, runs during startup (as slow startup
// work would: reading files, loading MNIST for a checkpoint).
var testStartup func(ctx context.Context)

// newAppContext is newApp whose startup work (checking -model, restoring
// -checkpoint) stops early when ctx ends.
func newAppContext(ctx context.Context, cfg config, logw io.Writer) (*app, error) {
	if logw == nil {
		logw = io.Discard
	}
	a := &app{
		cfg: cfg,
		out: logw,
		log: slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	a.streams, a.cancelStream = context.WithCancel(context.Background())
	a.work = admission.New(cfg.Work)
	a.heavy = a.heavyMiddleware
	a.viewers.max = int64(cfg.MaxViewers)
	a.loadModelFile() // a bad -model file is logged and the shipped model served
	a.mnistData = &live.MNIST{FlagDir: cfg.MNISTDir, Getenv: os.Getenv}
	a.train = newTrainManager(cfg, a.log, a.mnistData)
	a.liveNets = a.train
	a.netLive = a.train.LiveSnapshot
	a.onClose(func() error { a.train.Close(); return nil })
	if testStartup != nil {
		testStartup(ctx)
	}
	a.restoreCheckpoint(ctx)
	a.follow = newFollowHub()
	a.lesson = newLessonHub()
	a.onClose(a.lesson.close)
	a.startToken = newStartToken()
	a.isLocal = requestIsLocal
	a.lanIPs = hostLANIPs
	a.onClose(a.follow.close)
	a.onClose(a.memory.stop)
	return a, nil
}

// shutdownStarted runs as the server starts shutting down: streams end,
// queued heavy work fails fast with 503, GIF renders under way stop
// between frames (503); other running work finishes.
func (a *app) shutdownStarted() {
	a.cancelStream()
	a.work.Close()
	a.animations().Close() // renders under way stop between frames: 503
}

// onClose registers background work to stop in Close.
func (a *app) onClose(f func() error) { a.closers = append(a.closers, f) }

// streamsDone is closed when the server shuts down: SSE handlers return on it.
func (a *app) streamsDone() <-chan struct{} { return a.streams.Done() }

// Close stops the app's background work. It is safe to call more than once.
func (a *app) Close() error {
	var errs []error
	a.closeOnce.Do(func() {
		a.shutdownStarted()
		for i := len(a.closers) - 1; i >= 0; i-- {
			if err := a.closers[i](); err != nil {
				errs = append(errs, err)
			}
		}
	})
	return errors.Join(errs...)
}

// handler builds the echo instance: middleware then routes.
func (a *app) handler() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = a.httpError
	e.Use(
		a.logRequests,
		a.recoverPanics,
		securityHeaders,
		bodyLimit(a.cfg.BodyLimit),
		language,
		compress(),  // compress.go; after language, so Vary lists Accept-Language and Cookie first
		a.trainGate, // requests go before training steps (train_handlers.go)
	)
	a.routes(e)
	return e
}

// serve is the server's handler: the echo instance, with HEAD served as GET.
func (a *app) serve(e *echo.Echo) http.Handler { return headAsGet(e) }

// Run is the whole program: parse flags, build the app, serve until ctx
// ends, then shut down gracefully (in-flight requests finish, streams end).
func Run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		args = args[1:]
	}
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	// Startup work (reading -model and -checkpoint, loading MNIST to
	// resume a run) takes a moment; a signal during it stops the server
	// at once instead of after it.
	type started struct {
		a   *app
		err error
	}
	ready := make(chan started, 1)
	go func() {
		a, err := newAppContext(ctx, cfg, stdout)
		ready <- started{a, err}
	}()
	var a *app
	select {
	case s := <-ready:
		if s.err != nil {
			return s.err
		}
		a = s.a
	case <-ctx.Done():
		slog.New(slog.NewTextHandler(stdout, nil)).Info("stopped while starting")
		go func() { // close what startup made, once it returns
			if s := <-ready; s.a != nil {
				s.a.Close()
			}
		}()
		return nil
	}
	defer a.Close()
	if ctx.Err() != nil {
		a.log.Info("stopped while starting")
		return nil
	}
	return a.listenAndServe(ctx, a.handler())
}

// listenAndServe serves e on the configured address until ctx ends, then
// shuts down gracefully and closes the app. (A test builds e itself with
// a.handler() and may add routes to it first.)
func (a *app) listenAndServe(ctx context.Context, e *echo.Echo) error {
	cfg := a.cfg
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.serve(e),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(a.shutdownStarted)
	a.log.Info("listening", "url", "http://"+displayAddr(ln.Addr()))
	a.printLinks(a.out, ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if err := a.Close(); err != nil {
		return err
	}
	a.log.Info("stopped")
	return nil
}

// displayAddr turns ":8080" / "[::]:8080" into "localhost:8080" for the log line.
func displayAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
