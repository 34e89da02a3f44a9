#!/usr/bin/python3
"""Side-by-side benchmark: convlab's Go engine against PyTorch on this CPU.

Runs the cases of issue 7 in PyTorch (torch.set_num_threads(2), float32,
fixed seed) and, given the output of `go test -bench` (file arguments or
stdin), prints a ratio table: PyTorch time / our time (above 1: we are faster).

    go test -run '^$' -bench . -count 6 ./conv/ ./mnist/ | tee /tmp/bench.txt
    /usr/bin/python3 scripts/bench_torch.py /tmp/bench.txt

Several files give one pair of columns each (PyTorch runs once), e.g. the
same benchmarks under CONVLAB_GEMM=avx512 and CONVLAB_GEMM=avx2 (what
`make bench-torch` does). A column is named by a line "convlab-gemm: NAME"
in its file, else by the file name.

Cases (the Go benchmark names):
  BenchmarkConv2dForward/<shape>, BenchmarkConv2dBackward/<shape>
      shape nN_cC_HxW_oO_kK_sS_pP; backward = gradients of input, weight and
      bias from a given output gradient (aten.convolution_backward).
  BenchmarkTrainStep/{reference,small}_b100: forward, cross-entropy, backward,
      Adam step on a batch of 100.
  BenchmarkPredict/{reference,small}: one 28x28 image to probabilities.
Go results are the median over -count runs; PyTorch's the median of
--repeats timed runs (each the mean over enough iterations to take ~0.2 s).
Without Go input it prints PyTorch's times only.
"""

import argparse
import platform
import re
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONV_SHAPES = [
    "n64_c1_28x28_o32_k3_s1_p1",
    "n64_c32_14x14_o64_k3_s1_p1",
    "n1_c1_28x28_o8_k5_s1_p2",
    "n128_c1_28x28_o16_k5_s1_p0",
]

SHAPE_RE = re.compile(r"n(\d+)_c(\d+)_(\d+)x(\d+)_o(\d+)_k(\d+)_s(\d+)_p(\d+)$")


def parse_shape(s):
    m = SHAPE_RE.match(s)
    if not m:
        raise ValueError(f"bad shape {s!r}")
    n, c, h, w, o, k, st, p = map(int, m.groups())
    return n, c, h, w, o, k, st, p


def time_fn(fn, repeats, clock=time.perf_counter, min_time=0.2):
    """Median over repeats of the mean time per call, in seconds, by clock
    (time.perf_counter: wall time; time.process_time: CPU time of all threads)."""
    for _ in range(3):
        fn()
    iters = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time / 4 or iters >= 1 << 20:
            break
        iters *= 2
    iters = max(1, int(iters * (min_time / max(dt, 1e-9))))
    runs = []
    for _ in range(repeats):
        t0 = clock()
        for _ in range(iters):
            fn()
        runs.append((clock() - t0) / iters)
    return statistics.median(runs)


def conv_cases(shape, g):
    n, c, h, w, o, k, st, p = parse_shape(shape)
    x = torch.randn(n, c, h, w, generator=g)
    wt = torch.randn(o, c, k, k, generator=g)
    b = torch.randn(o, generator=g)
    y = F.conv2d(x, wt, b, stride=st, padding=p)
    dy = torch.randn(y.shape, generator=g)

    def fwd():
        with torch.no_grad():
            F.conv2d(x, wt, b, stride=st, padding=p)

    def bwd():
        torch.ops.aten.convolution_backward(
            dy, x, wt, [o], [st, st], [p, p], [1, 1], False, [0, 0], 1, [True, True, True])

    return {f"BenchmarkConv2dForward/{shape}": fwd, f"BenchmarkConv2dBackward/{shape}": bwd}


def make_net(preset):
    if preset == "reference":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 10))
    if preset == "small":
        return nn.Sequential(
            nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(784, 10))
    raise ValueError(preset)


def net_cases(g):
    cases = {}
    for preset in ("reference", "small"):
        torch.manual_seed(1)
        net = make_net(preset)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        xb = torch.rand(100, 1, 28, 28, generator=g)
        yb = torch.randint(0, 10, (100,), generator=g)

        def step(net=net, opt=opt, xb=xb, yb=yb):
            opt.zero_grad(set_to_none=False)
            loss = F.cross_entropy(net(xb), yb)
            loss.backward()
            opt.step()

        img = torch.rand(1, 1, 28, 28, generator=g)
        pnet = make_net(preset).eval()

        def predict(pnet=pnet, img=img):
            with torch.inference_mode():
                torch.softmax(pnet(img), dim=1)

        cases[f"BenchmarkTrainStep/{preset}_b100"] = step
        cases[f"BenchmarkPredict/{preset}"] = predict
    return cases


GO_LINE = re.compile(r"^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op")
GO_CPU = re.compile(r"\s([\d.]+) cpu-ns/op")


def parse_go(lines, cpu=False):
    """name -> list of ns/op, or of cpu-ns/op when cpu (the -GOMAXPROCS suffix dropped)."""
    res = {}
    for line in lines:
        m = GO_LINE.match(line.strip())
        if not m:
            continue
        v = float(m.group(2))
        name = m.group(1)
        if cpu:
            c = GO_CPU.search(line)
            if c:
                v = float(c.group(1))
            else:
                WALL_ONLY.add(name)
        res.setdefault(name, []).append(v)
    return res


# Go benchmarks without a cpu-ns/op metric: --cpu falls back to their wall time (marked *).
WALL_ONLY = set()


def fmt_time(s):
    if s >= 1e-3:
        return f"{s * 1e3:.3f} ms"
    return f"{s * 1e6:.1f} µs"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gobench", nargs="*", help="outputs of go test -bench ('-' for stdin; default: stdin if piped)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=6)
    ap.add_argument("--only", default="", help="regexp: run only matching case names")
    ap.add_argument("--cpu", action="store_true",
                    help="compare CPU time (PyTorch: process_time; Go: the cpu-ns/op metric, where reported) "
                         "instead of wall time: far less disturbed when other processes share the machine")
    args = ap.parse_args()

    runs = []  # (label, name -> list of times)
    files = args.gobench or (["-"] if not sys.stdin.isatty() else [])
    for path in files:
        lines = list(sys.stdin) if path == "-" else open(path).read().splitlines()
        label = "convlab" if path == "-" else path
        for line in lines:
            if line.startswith("convlab-gemm:"):
                label = "convlab " + line.split(":", 1)[1].strip()
        runs.append((label, parse_go(lines, args.cpu)))
    go = {}
    for _, r in runs:
        for k, v in r.items():
            go.setdefault(k, v)

    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    cases = {}
    for s in CONV_SHAPES:
        cases.update(conv_cases(s, g))
    cases.update(net_cases(g))
    # Conv shapes present in the Go output but not listed above run too.
    for name in go:
        m = re.match(r"BenchmarkConv2d(Forward|Backward)/(.+)$", name)
        if m and name not in cases and SHAPE_RE.match(m.group(2)):
            cases.update(conv_cases(m.group(2), g))
    if go:
        # Only what both sides measured (the mnist benchmarks may not exist yet).
        cases = {k: v for k, v in cases.items() if k in go}
    if args.only:
        cases = {k: v for k, v in cases.items() if re.search(args.only, k)}

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    what = "CPU time per op (all threads)" if args.cpu else "wall time per op"
    try:
        load = open("/proc/loadavg").read().split()[0]
    except OSError:
        load = "?"
    print(f"# PyTorch {torch.__version__}, {torch.get_num_threads()} threads, CPU: {cpu}; {what}; load average {load}")
    print()
    if not runs:
        runs = [("convlab", {})]
    head = f"| {'case':<52} | {'PyTorch':>11} |"
    rule = f"|{'-' * 54}|{'-' * 13}|"
    for label, _ in runs:
        w = max(11, len(label))
        head += f" {label:>{w}} | {'ratio':>7} |"
        rule += f"{'-' * (w + 2)}|{'-' * 9}|"
    print(head)
    print(rule)
    for name, fn in cases.items():
        t = time_fn(fn, args.repeats, time.process_time if args.cpu else time.perf_counter)
        short = name.removeprefix("Benchmark")
        row = f"| {short:<52} | {fmt_time(t):>11} |"
        for label, r in runs:
            w = max(11, len(label))
            ours = statistics.median(r[name]) * 1e-9 if name in r else None
            o = fmt_time(ours) if ours else "-"
            if ours and args.cpu and name in WALL_ONLY:
                o = "*" + o
            ratio = f"{t / ours:.2f}x" if ours else "-"
            row += f" {o:>{w}} | {ratio:>7} |"
        print(row, flush=True)
    print("\nratio: PyTorch time / convlab time (median of the Go -count runs and of PyTorch's repeats); above 1.00x convlab is faster")
    if args.cpu and any(n in WALL_ONLY for n in cases):
        print("\n* wall time: that Go benchmark reports no cpu-ns/op")


if __name__ == "__main__":
    main()
