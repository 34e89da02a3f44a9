# convlab. Quick start: `make run`, then `make test`.
GO       ?= go
ARGS     ?=
PKGS     ?= ./...
TIMEOUT  ?= 10m
FUZZTIME ?= 10s

.PHONY: run build test test-short vet bench bench-torch generate check-generated fuzz model golden ci golden-pool golden-network

## run: serve the app on http://localhost:8080 (ARGS="-addr :9090" to change)
run:
	$(GO) mod download
	$(GO) run ./cmd/web $(ARGS)

## build: build the server binary into bin/
build:
	$(GO) build -o bin/convlab ./cmd/web

## test: vet, all tests (browser tests included), then the race detector on the short tests
test: vet
	$(GO) test -timeout $(TIMEOUT) $(PKGS)
	$(GO) test -race -short -timeout $(TIMEOUT) $(PKGS)

## test-short: the quick tests only (no browser)
test-short:
	$(GO) test -short -timeout $(TIMEOUT) $(PKGS)

vet:
	$(GO) vet $(PKGS)

## bench: the benchmarks, with allocations
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m $(PKGS)

## bench-torch: the conv and mnist benchmarks beside PyTorch, as a ratio table (needs python3-torch)
bench-torch:
	$(GO) test -run '^$$' -bench 'Conv2d|TrainStep|Predict' -count 6 -timeout 30m ./conv/ ./mnist/ | tee /tmp/convlab-bench.txt
	/usr/bin/python3 scripts/bench_torch.py /tmp/convlab-bench.txt

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

## model: retrain the shipped MNIST model (README "Model"), then check it on the 10k test set
model:
	$(GO) run ./cmd/train -net reference -epochs 8 -seed 1 -out mnist/model/reference.safetensors
	$(GO) test -count=1 -run 'TestShippedModel' ./mnist/

## ci: what .ci/run runs after installing the system packages
ci: check-generated test
