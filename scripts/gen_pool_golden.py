#!/usr/bin/python3
"""PyTorch's answers for pooling with every parameter: conv/testdata/pool_golden.json.gz.

Run with Debian's python3-torch (`make golden-pool`). Deterministic (fixed
seeds); `go test ./conv/` reads the file and never needs Python.

  pool    ≥100 random nn.MaxPool2d / nn.AvgPool2d configurations PyTorch
          accepts: kernel_size, stride (None = kernel), padding (≤ half the
          kernel), dilation (max), ceil_mode, count_include_pad (avg). Each
          holds the input, an output gradient, PyTorch's output, the argmax
          indices (return_indices=True, max only) and the input gradient.
          Max cases where a dilated window misses the input entirely are
          left out (PyTorch then returns an index outside the input).
  reject  configurations PyTorch refuses (no zero stride or dilation: in
          conv.PoolSpec a zero means PyTorch's default), with the parameter our error must
          name and numbers it must mention.
"""
import gzip
import json
import os
import random
import sys

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "conv", "testdata", "pool_golden.json.gz")
rng = random.Random(20261130)
torch.manual_seed(20261130)


def q(shape):
    """Random tensor of multiples of 1/64 in [-2, 2] (exact in float32)."""
    n = 1
    for s in shape:
        n *= s
    return torch.tensor([rng.randint(-128, 128) / 64 for _ in range(n)], dtype=torch.float64).reshape(shape)


def flat(t):
    return [float("%.8g" % v) for v in t.detach().reshape(-1).tolist()]


def exact(t):
    return t.detach().reshape(-1).tolist()


def run(kind, x, k, st, pad, dil, ceil, cip):
    if kind == "max":
        return F.max_pool2d(x, tuple(k), tuple(st) if st else None, tuple(pad), tuple(dil), ceil_mode=ceil,
                            return_indices=True)
    return F.avg_pool2d(x, tuple(k), tuple(st) if st else None, tuple(pad), ceil_mode=ceil,
                        count_include_pad=cip), None


def cases(count):
    out = []
    tries = 0
    while len(out) < count:
        tries += 1
        kind = "max" if len(out) % 2 == 0 else "avg"
        k = [rng.randint(1, 4), rng.randint(1, 4)]
        st = None if rng.random() < 0.3 else [rng.randint(1, 4), rng.randint(1, 4)]
        pad = [rng.randint(0, k[0] // 2), rng.randint(0, k[1] // 2)]
        dil = [rng.randint(1, 3), rng.randint(1, 3)] if kind == "max" and rng.random() < 0.5 else [1, 1]
        ceil = rng.random() < 0.5
        cip = kind == "max" or rng.random() < 0.5
        n, c, h, w = rng.randint(1, 2), rng.randint(1, 3), rng.randint(1, 9), rng.randint(1, 9)
        ties = len(out) % 5 == 0
        x = (torch.tensor([rng.randint(0, 2) for _ in range(n * c * h * w)], dtype=torch.float64).reshape(n, c, h, w)
             if ties else q((n, c, h, w)))
        x.requires_grad_(True)
        try:
            y, idx = run(kind, x, k, st, pad, dil, ceil, cip)
        except RuntimeError:
            continue
        if kind == "max" and (torch.isinf(y).any() or (idx < 0).any() or (idx >= h * w).any()):
            continue  # a dilated window that misses the input
        gy = q(tuple(y.shape))
        y.backward(gy)
        d = dict(name="pool %d %s%s" % (len(out), kind, " ties" if ties else ""), kind=kind, kernel=k,
                 stride=st or [0, 0], padding=pad, dilation=dil, ceil_mode=ceil, count_include_pad=cip,
                 n=n, c=c, in_h=h, in_w=w, out_shape=list(y.shape), x=exact(x), gy=exact(gy), y=flat(y),
                 gx=flat(x.grad))
        if idx is not None:
            d["indices"] = idx.reshape(-1).tolist()
        out.append(d)
    return out


def hand():
    """Boundaries: ceil_mode's last window rule, padding = half the kernel, the MNIST pooling."""
    c = [("max", [2, 2], [2, 2], [0, 0], [1, 1], True, True, 5, 5),   # ceil adds a row and a column
         ("max", [3, 3], [2, 2], [1, 1], [1, 1], True, True, 6, 6),   # the last window would start in the right padding
         ("avg", [3, 3], [2, 2], [1, 1], [1, 1], True, True, 6, 6),
         ("avg", [3, 3], [2, 2], [1, 1], [1, 1], True, False, 6, 6),
         ("avg", [2, 2], [3, 3], [1, 1], [1, 1], True, True, 4, 7),
         ("max", [3, 2], [1, 1], [1, 1], [2, 3], False, True, 7, 8),
         ("max", [2, 2], None, [0, 0], [1, 1], False, True, 28, 28),
         ("avg", [4, 4], [3, 3], [2, 2], [1, 1], True, False, 5, 5)]
    out = []
    for kind, k, st, pad, dil, ceil, cip, h, w in c:
        x = q((1, 2, h, w)).requires_grad_(True)
        y, idx = run(kind, x, k, st, pad, dil, ceil, cip)
        gy = q(tuple(y.shape))
        y.backward(gy)
        d = dict(name="pool hand %s k%s s%s p%s d%s ceil=%s cip=%s %dx%d" % (kind, k, st, pad, dil, ceil, cip, h, w),
                 kind=kind, kernel=k, stride=st or [0, 0], padding=pad, dilation=dil, ceil_mode=ceil,
                 count_include_pad=cip, n=1, c=2, in_h=h, in_w=w, out_shape=list(y.shape), x=exact(x),
                 gy=exact(gy), y=flat(y), gx=flat(x.grad))
        if idx is not None:
            d["indices"] = idx.reshape(-1).tolist()
        out.append(d)
    return out


def rejects():
    c = [("max pad above half kernel", "max", [3, 3], [1, 1], [2, 1], [1, 1], False, 5, 5, "padding", ["2x1", "3x3"]),
         ("avg pad above half kernel, ceil", "avg", [2, 4], [1, 1], [0, 3], [1, 1], True, 5, 5, "padding", ["0x3", "2x4"]),
         ("max pad above half kernel, dilated", "max", [2, 2], [1, 1], [2, 0], [3, 3], False, 9, 9, "padding", ["2x0", "2x2"]),
         ("max negative dilation, ceil", "max", [2, 2], [1, 1], [0, 0], [-3, 1], True, 5, 5, "dilation", ["-3x1"]),
         ("max negative dilation", "max", [2, 2], [1, 1], [0, 0], [1, -2], False, 5, 5, "dilation", ["1x-2"]),
         ("max dilated kernel larger than input", "max", [3, 3], [1, 1], [0, 0], [2, 2], False, 4, 4, "kernel_size",
          ["3x3", "2x2", "5x5", "4x4"]),
         ("max dilated kernel larger than input, ceil", "max", [2, 3], [2, 2], [0, 0], [4, 2], True, 3, 5, "kernel_size",
          ["2x3", "4x2", "5x5", "3x5"]),
         ("max kernel larger than input, ceil", "max", [4, 4], [1, 1], [0, 0], [1, 1], True, 3, 3, "kernel_size",
          ["4x4", "3x3"]),
         ("avg kernel larger than padded input", "avg", [4, 4], [2, 2], [1, 1], [1, 1], False, 1, 1, "kernel_size",
          ["4x4", "3x3"]),
         ("avg negative stride", "avg", [2, 2], [2, -1], [0, 0], [1, 1], False, 5, 5, "stride", ["2x-1"]),
         ("max negative pad", "max", [3, 3], [1, 1], [-1, 0], [1, 1], True, 5, 5, "padding", ["-1x0"])]
    out = []
    for name, kind, k, s, p, dil, ceil, h, w, param, contains in c:
        x = torch.zeros(1, 1, h, w)
        try:
            if kind == "max":
                F.max_pool2d(x, tuple(k), tuple(s), tuple(p), tuple(dil), ceil_mode=ceil)
            else:
                F.avg_pool2d(x, tuple(k), tuple(s), tuple(p), ceil_mode=ceil)
        except (RuntimeError, ValueError) as e:
            out.append(dict(name=name, kind=kind, kernel=k, stride=s, padding=p, dilation=dil, ceil_mode=ceil, c=1,
                            in_h=h, in_w=w, param=param, contains=contains, torch_error=str(e).split("\n")[0]))
            continue
        sys.exit("PyTorch ACCEPTS pooling case meant as a rejection: " + name)
    return out


def main():
    doc = dict(generator="scripts/gen_pool_golden.py", torch_version=torch.__version__,
               pool=cases(120) + hand(), reject=rejects())
    data = json.dumps(doc, separators=(",", ":")).encode()
    with gzip.GzipFile(OUT, "wb", mtime=0) as f:
        f.write(data)
    print("wrote %s: %d pool, %d reject (%d max with dilation, %d ceil_mode, %d avg excluding padding)" % (
        OUT, len(doc["pool"]), len(doc["reject"]),
        sum(1 for c in doc["pool"] if c["kind"] == "max" and c["dilation"] != [1, 1]),
        sum(1 for c in doc["pool"] if c["ceil_mode"]),
        sum(1 for c in doc["pool"] if not c["count_include_pad"])))


if __name__ == "__main__":
    main()
