# convlab. Quick start: `make run`, then `make test`.
GO       ?= go
ARGS     ?=
PKGS     ?= ./...
TIMEOUT  ?= 20m
FUZZTIME ?= 10s

.PHONY: run build test test-arm64 test-short vet bench bench-torch bench-torch-cpu bench-gemm generate check-generated fuzz model drawn golden ci golden-pool golden-network

## run: serve the app on http://localhost:8080 (ARGS="-addr :9090" to change)
run:
	$(GO) mod download
	$(GO) run ./cmd/web $(ARGS)

## build: build the server binary into bin/
build:
	$(GO) build -o bin/convlab ./cmd/web

## test: vet, all tests (browser tests included), then the race detector on the short tests, then the arm64 kernels under qemu
test: vet
	$(GO) test -timeout $(TIMEOUT) $(PKGS)
	$(GO) test -race -short -timeout $(TIMEOUT) $(PKGS)
	$(MAKE) test-arm64

## test-arm64: conv's golden and GEMM kernel tests built for arm64 (the NEON kernels) and run under
## qemu-aarch64 (Debian: apt-get install qemu-user). Correctness only: emulated timings mean nothing.
test-arm64:
	@command -v qemu-aarch64 >/dev/null || { echo "test-arm64: qemu-aarch64 is missing (Debian: apt-get install qemu-user)" >&2; exit 1; }
	@mkdir -p bin
	GOARCH=arm64 $(GO) test -c -o bin/conv-arm64.test ./conv/
	cd conv && qemu-aarch64 ../bin/conv-arm64.test -test.short -test.count 1 -test.timeout $(TIMEOUT) \
		-test.run 'Golden|GemmKernels|FastMatchesNaive|FastLargerShapes|BackwardReproducible|KernelByName|Winograd'

## test-short: the quick tests only (no browser)
test-short:
	$(GO) test -short -timeout $(TIMEOUT) $(PKGS)

vet:
	$(GO) vet $(PKGS)

## bench: the benchmarks, with allocations
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m $(PKGS)

## bench-gemm: the GEMM alone per kernel: GFLOP/s and the fraction of this core's FMA peak (%peak)
bench-gemm:
	$(GO) test -run '^$$' -bench 'GEMM/(clock|avx|neon|portable|pack)' -count 3 -timeout 30m ./conv/

## bench-torch: the conv and mnist benchmarks beside PyTorch, a ratio table per GEMM kernel in BENCH_GEMM
## (default: avx512 and avx2 where the CPU has them, else the fastest; CONVLAB_GEMM picks it). For the avx2
## table PyTorch is held to AVX2 as well (DNNL_MAX_CPU_ISA=AVX2, ATEN_CPU_CAPABILITY=avx2): what an AVX2-only
## CPU runs. Go first, then PyTorch (OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset for it), in the same command.
BENCH_GEMM ?= $(strip $(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo avx512; grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo avx2))
bench-torch:
	@set -e; for k in $(or $(BENCH_GEMM),default); do \
		f=/tmp/convlab-bench-$$k.txt; \
		{ echo "convlab-gemm: $$k"; [ $$k = default ] && unset CONVLAB_GEMM || export CONVLAB_GEMM=$$k; \
		  $(GO) test -run '^$$' $(BENCH_GOFLAGS) -bench 'Conv2d(Forward|Backward)$$|TrainStep|Predict' -count 6 -timeout 30m ./conv/ ./mnist/; } | tee $$f; \
	done; \
	for k in $(or $(BENCH_GEMM),default); do \
		isa=""; [ $$k = avx2 ] && isa="DNNL_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2"; \
		echo; echo "## CONVLAB_GEMM=$$k $${isa:+(PyTorch: $$isa)}"; \
		env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $$isa /usr/bin/python3 scripts/bench_torch.py $(BENCH_TORCH_FLAGS) /tmp/convlab-bench-$$k.txt; \
	done

## bench-torch-cpu: bench-torch on one thread comparing CPU time per op (Go's cpu-ns/op, PyTorch's process_time):
## what to trust when other work loads the machine (wall times, PyTorch's above all, then swing 2-20x)
bench-torch-cpu:
	$(MAKE) bench-torch BENCH_GOFLAGS='-cpu 1' BENCH_TORCH_FLAGS='--threads 1 --cpu'

## generate: regenerate templ code after editing views/*.templ
generate:
	$(GO) tool templ generate

## golden: regenerate conv/testdata/golden.json.gz from PyTorch (needs python3-torch), then check the engine against it
golden:
	/usr/bin/python3 scripts/gen_conv_golden.py
	$(GO) test -count=1 -run 'Golden|Lesson' ./conv/

## golden-pool: regenerate conv/testdata/pool_golden.json.gz (every MaxPool2d/AvgPool2d parameter) from PyTorch, then check
golden-pool:
	/usr/bin/python3 scripts/gen_pool_golden.py
	$(GO) test -count=1 -run 'PoolGolden' ./conv/

## golden-network: after changing mnist/model/reference.safetensors, regenerate internal/explain's fixture (every layer's output in PyTorch), then check
golden-network:
	/usr/bin/python3 scripts/gen_network_golden.py
	$(GO) test -count=1 -run 'NetworkGolden' ./internal/explain/

## check-generated: fail if generated templ code is out of date
check-generated: generate
	git diff --exit-code -- '*_templ.go'
	@test -z "$$(git status --porcelain -- '*_templ.go' | grep '^??')" || { echo "untracked generated files:"; git status --porcelain -- '*_templ.go'; exit 1; }

## fuzz: a short run of every fuzz target in the module (FUZZTIME=10s each)
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f"; \
			$(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -parallel 2; \
		done; \
	done

## model: retrain the shipped MNIST model (README "Model"), then check it on the 10k test set and the drawn digits
MODEL_FLAGS = -net reference -seed 1 -augment -augment-epochs 7 -epochs 10 -batch 50 -lr 0.001 -lr-decay 0.75
model:
	CONVLAB_CONV=im2col $(GO) run ./cmd/train $(MODEL_FLAGS) -out mnist/model/reference.safetensors
	$(GO) test -count=1 -run 'TestShippedModel' ./mnist/

## drawn: rebuild the drawn-digit test set mnist/testdata/drawn (needs python3-pil and the fonts the script names)
drawn:
	/usr/bin/python3 scripts/gen_drawn_digits.py
	$(GO) test -count=1 -run 'Drawn' ./mnist/

## ci: what .ci/run runs after installing the system packages
ci: check-generated test
