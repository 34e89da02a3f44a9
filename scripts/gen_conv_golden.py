#!/usr/bin/python3
"""Generate conv/testdata/golden.json.gz: PyTorch's answers for convlab's conv engine.

Run from the repository root (or `make golden`):

    /usr/bin/python3 scripts/gen_conv_golden.py

Deterministic (fixed seeds). `go test ./conv/` reads the file and never needs
Python. What it holds (all tensors flat, NCHW, row-major):

  conv      random and boundary Conv2d / ConvTranspose2d configurations that
            PyTorch ACCEPTS: x, w, b, gy and PyTorch's y, gx, gw, gb.
  reject    configurations PyTorch REJECTS (module construction or forward
            raises), with PyTorch's message and, for hand-written cases, the
            parameter convlab must name and numbers its message must contain.
  pad       F.pad of an index grid for reflect/replicate/circular: which input
            cell each padding cell copies.
  pool      max_pool2d / avg_pool2d forward and backward.
  pool_reject  pooling configurations PyTorch rejects.

Inputs are multiples of 1/64 in [-2, 2] (exact in float32 and in JSON); the
reference is computed by autograd in float64 from exactly those inputs and
stored with 8 significant digits. Every accepted case is also run in float32
and checked against float64 here, so the tolerance the Go tests use (1e-4 of
the largest magnitude) is known to hold for PyTorch itself.
"""
import gzip
import json
import os
import random
import sys
import warnings

if os.environ.get("PYTHONHASHSEED") != "0":  # PyTorch's messages print sets: fix their order
    os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))

import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.filterwarnings("ignore")
torch.set_num_threads(1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conv", "testdata", "golden.json.gz")
rng = random.Random(20240601)
torch.manual_seed(20240601)


def q(shape):
    """Random tensor of multiples of 1/64 in [-2, 2] (exact in float32)."""
    n = 1
    for s in shape:
        n *= s
    return torch.tensor([rng.randint(-128, 128) / 64 for _ in range(n)], dtype=torch.float64).reshape(shape)


def flat(t):
    return [float("%.8g" % v) for v in t.detach().reshape(-1).tolist()]


def exact(t):
    return [v for v in t.detach().reshape(-1).tolist()]


def spec(cin, cout, k, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=True,
         mode="zeros", transposed=False, output_padding=(0, 0)):
    d = dict(in_channels=cin, out_channels=cout, kernel_size=list(k), stride=list(stride),
             dilation=list(dilation), groups=groups, bias=bias, padding_mode=mode,
             transposed=transposed, output_padding=list(output_padding))
    if isinstance(padding, str):
        d["padding"], d["padding_str"] = [0, 0], padding
    else:
        d["padding"], d["padding_str"] = list(padding), ""
    return d


def torch_module(s, dtype):
    pad = s["padding_str"] or tuple(s["padding"])
    if s["transposed"]:
        kw = {}
        if s["padding_mode"] != "zeros":
            kw["padding_mode"] = s["padding_mode"]
        m = nn.ConvTranspose2d(s["in_channels"], s["out_channels"], tuple(s["kernel_size"]), stride=tuple(s["stride"]),
                               padding=pad, output_padding=tuple(s["output_padding"]), groups=s["groups"],
                               bias=s["bias"], dilation=tuple(s["dilation"]), **kw)
    else:
        kw = {}
        if s["output_padding"] != [0, 0]:
            kw["output_padding"] = tuple(s["output_padding"])  # Conv2d has none: TypeError
        m = nn.Conv2d(s["in_channels"], s["out_channels"], tuple(s["kernel_size"]), stride=tuple(s["stride"]),
                      padding=pad, dilation=tuple(s["dilation"]), groups=s["groups"], bias=s["bias"],
                      padding_mode=s["padding_mode"], **kw)
    return m.to(dtype)


def torch_try(s, n, h, w):
    """None if PyTorch accepts s on an n×C×h×w input, else its error message."""
    try:
        m = torch_module(s, torch.float32)
        y = m(torch.zeros(n, s["in_channels"], h, w))
        if y.numel() == 0:
            return "empty output " + str(tuple(y.shape))
        return None
    except Exception as e:  # noqa: BLE001 - any rejection counts
        return "%s: %s" % (type(e).__name__, str(e).split("\n")[0])


def run_case(name, s, n, h, w, x=None, wt=None):
    m64 = torch_module(s, torch.float64)
    x = (q((n, s["in_channels"], h, w)) if x is None else x.double().reshape(n, s["in_channels"], h, w)).requires_grad_(True)
    wt = q(tuple(m64.weight.shape)) if wt is None else wt.double().reshape(m64.weight.shape)
    b = q((s["out_channels"],)) if s["bias"] else None
    with torch.no_grad():
        m64.weight.copy_(wt)
        if b is not None:
            m64.bias.copy_(b)
    y = m64(x)
    gy = q(tuple(y.shape))
    y.backward(gy)
    # PyTorch itself in float32 must agree with the float64 reference within
    # the tolerance the Go tests use, or the tolerance would be meaningless.
    m32 = torch_module(s, torch.float32)
    with torch.no_grad():
        m32.weight.copy_(wt.float())
        if b is not None:
            m32.bias.copy_(b.float())
    x32 = x.detach().float().requires_grad_(True)
    y32 = m32(x32)
    y32.backward(gy.float())
    for a, r in [(y32, y), (x32.grad, x.grad), (m32.weight.grad, m64.weight.grad)]:
        scale = max(r.abs().max().item(), 1e-30)
        assert (a.double() - r).abs().max().item() <= 1e-5 * scale, (name, "float32 torch disagrees")
    c = dict(name=name, spec=s, n=n, in_h=h, in_w=w, out_shape=list(y.shape),
             x=exact(x), w=exact(wt), gy=exact(gy), y=flat(y), gx=flat(x.grad), gw=flat(m64.weight.grad))
    if b is not None:
        c["b"] = exact(b)
        c["gb"] = flat(m64.bias.grad)
    return c


# ---------------------------------------------------------------- random configurations
THEMES = ["plain", "rect", "stride", "same", "same_even_dil", "valid", "dilation", "groups", "depthwise",
          "reflect", "replicate", "circular", "crop", "transposed", "transposed_op", "transposed_groups_dil",
          "transposed_depthwise", "mixed"]


def random_spec(theme):
    r = rng
    cin = r.randint(1, 4)
    groups = 1
    if theme in ("groups", "transposed_groups_dil"):
        cin = r.choice([2, 4, 4, 6])  # groups of more than one channel
        groups = r.choice([g for g in range(2, cin) if cin % g == 0] or [1])
    if theme == "mixed" and cin > 1:
        groups = r.choice([g for g in range(1, cin + 1) if cin % g == 0])
    if theme in ("depthwise", "transposed_depthwise"):
        cin = r.randint(1, 4)
        groups = cin
    cout = groups * r.randint(1, 3 if groups < 3 else 2)
    k = [r.randint(1, 4), r.randint(1, 4)]
    if theme == "rect":
        while k[0] == k[1]:
            k = [r.randint(1, 5), r.randint(1, 5)]
    stride, dil, pad, pstr, mode, op = [1, 1], [1, 1], [r.randint(0, 2), r.randint(0, 2)], "", "zeros", [0, 0]
    transposed = theme.startswith("transposed")
    if theme in ("stride", "mixed", "crop"):
        stride = [r.randint(1, 3), r.randint(1, 3)]
    if theme in ("dilation", "same_even_dil", "mixed", "transposed_groups_dil"):
        dil = [r.randint(1, 3), r.randint(1, 3)]
    if theme in ("same", "same_even_dil"):
        pstr = "same"
        if theme == "same_even_dil":
            k = [r.choice([2, 4]), r.choice([1, 2, 3, 4])]
        mode = r.choice(["zeros", "zeros", "reflect", "replicate", "circular"])
    if theme == "valid":
        pstr = "valid"
        stride = [r.randint(1, 2), r.randint(1, 2)]
    if theme in ("reflect", "replicate", "circular"):
        mode = theme
        pad = [r.randint(0, 3), r.randint(0, 3)]
        stride = [r.randint(1, 2), r.randint(1, 2)]
        dil = [r.randint(1, 2), 1]
    if theme == "crop":  # negative padding crops with a non-zero padding_mode
        mode = r.choice(["reflect", "replicate", "circular"])
        pad = [r.randint(-2, 1), r.randint(-2, 0)]
    if theme == "mixed":
        mode = r.choice(["zeros", "reflect", "replicate", "circular"])
        pad = [r.randint(0, 3), r.randint(0, 3)]
    if transposed:
        stride = [r.randint(1, 3), r.randint(1, 3)]
        pad = [r.randint(0, 2), r.randint(0, 2)]
        if theme != "transposed":
            op = [r.randint(0, max(stride[i], dil[i]) - 1) for i in range(2)]
    if pstr == "":
        bias = r.random() < 0.7
    else:
        bias = r.random() < 0.5
    return spec(cin, cout, k, stride, pstr or pad, dil, groups, bias, mode, transposed, op)


def random_cases(count):
    cases, rejects = [], []
    i = 0
    while len(cases) < count:
        theme = THEMES[i % len(THEMES)]
        i += 1
        for _ in range(50):
            s = random_spec(theme)
            n = rng.randint(1, 3)
            h, w = rng.randint(1, 8), rng.randint(1, 8)
            err = torch_try(s, n, h, w)
            if err is None:
                cases.append(run_case("random %d %s" % (len(cases), theme), s, n, h, w))
                break
            if len(rejects) < 120:
                rejects.append(dict(name="random reject %d %s" % (len(rejects), theme), spec=s, n=n, in_h=h, in_w=w,
                                    torch_error=err, param="", contains=[]))
    return cases, rejects


# ---------------------------------------------------------------- hand-written rejections
def R(name, s, h, w, param, contains, n=1):
    return dict(name=name, spec=s, n=n, in_h=h, in_w=w, param=param, contains=contains)


def rejections():
    c = []
    # kernel bigger than the padded input
    c += [R("kernel larger than input", spec(1, 1, (6, 6)), 5, 5, "kernel_size", ["6x6", "5x5"]),
          R("kernel taller than input", spec(1, 1, (4, 2)), 3, 5, "kernel_size", ["4x2", "3x5"]),
          R("kernel wider than input", spec(2, 1, (1, 6)), 4, 5, "kernel_size", ["1x6", "4x5"]),
          R("kernel larger than padded input", spec(1, 1, (8, 8), padding=(1, 1)), 5, 5, "kernel_size", ["8x8", "7x7"]),
          R("dilated kernel larger than input", spec(1, 1, (3, 3), dilation=(3, 1)), 6, 6, "kernel_size", ["7x3", "6x6"]),
          R("dilated kernel larger than padded input", spec(1, 2, (2, 3), padding=(1, 0), dilation=(2, 3)), 1, 6, "kernel_size", ["3x7", "3x6"]),
          R("kernel larger than reflect-padded input", spec(1, 1, (5, 5), padding=(1, 1), mode="reflect"), 2, 2, "kernel_size", ["5x5", "4x4"]),
          R("kernel larger than valid input", spec(1, 1, (3, 3), padding="valid"), 2, 9, "kernel_size", ["3x3", "2x9"]),
          R("kernel larger than cropped input", spec(1, 1, (3, 3), padding=(-1, 0), mode="replicate"), 4, 4, "kernel_size", ["3x3", "2x4"]),
          R("kernel larger than input (strided)", spec(1, 1, (4, 4), stride=(2, 2)), 3, 3, "kernel_size", ["4x4", "3x3"])]
    # cropping (negative padding with a copying mode) that leaves nothing
    c += [R("crop leaves nothing (reflect)", spec(1, 1, (1, 1), padding=(-2, 0), mode="reflect"), 3, 3, "padding", ["-2", "3"]),
          R("crop leaves nothing (replicate)", spec(1, 1, (1, 1), padding=(0, -1), mode="replicate"), 3, 2, "padding", ["-1", "2"]),
          R("crop leaves nothing (circular)", spec(1, 1, (1, 1), padding=(-3, -3), mode="circular"), 5, 5, "padding", ["-3", "5"])]
    # padding
    c += [R("negative padding (zeros)", spec(1, 1, (3, 3), padding=(-1, -1)), 5, 5, "padding", ["-1x-1"]),
          R("negative padding width (zeros)", spec(1, 1, (1, 1), padding=(0, -2)), 5, 5, "padding", ["0x-2"]),
          R("negative padding (transposed)", spec(1, 1, (3, 3), padding=(-1, 0), transposed=True), 3, 3, "padding", ["-1x0"]),
          R("same with stride 2", spec(1, 1, (3, 3), stride=(2, 2), padding="same"), 5, 5, "padding", ["2x2"]),
          R("same with stride (1,3)", spec(1, 1, (3, 3), stride=(1, 3), padding="same"), 9, 9, "padding", ["1x3"]),
          R("same with stride and reflect", spec(1, 1, (3, 3), stride=(2, 1), padding="same", mode="reflect"), 5, 5, "padding", ["2x1"]),
          R("padding word unknown", spec(1, 1, (3, 3), padding="full"), 5, 5, "padding", ["full"]),
          R("padding word in capitals", spec(1, 1, (3, 3), padding="SAME"), 5, 5, "padding", ["SAME"]),
          R("padding word capitalised", spec(1, 1, (3, 3), padding="Valid"), 5, 5, "padding", ["Valid"]),
          R("same on transposed", spec(1, 1, (3, 3), padding="same", transposed=True), 5, 5, "padding", ["same"]),
          R("valid on transposed", spec(1, 1, (3, 3), padding="valid", transposed=True), 5, 5, "padding", ["valid"])]
    # reflect / circular limits
    c += [R("reflect pad equals input", spec(1, 1, (3, 3), padding=(3, 0), mode="reflect"), 3, 8, "padding", ["3", "3"]),
          R("reflect pad above input", spec(1, 1, (1, 1), padding=(0, 4), mode="reflect"), 6, 2, "padding", ["4", "2"]),
          R("reflect pad on 1 pixel", spec(1, 1, (3, 3), padding=(1, 1), mode="reflect"), 1, 1, "padding", ["1"]),
          R("reflect same even kernel too big", spec(1, 1, (4, 4), padding="same", mode="reflect"), 2, 2, "padding", ["2"]),
          R("reflect same dilated too big", spec(1, 1, (3, 3), padding="same", dilation=(3, 1), mode="reflect"), 3, 5, "padding", ["3"]),
          R("circular pad above input", spec(1, 1, (3, 3), padding=(4, 1), mode="circular"), 3, 3, "padding", ["4", "3"]),
          R("circular pad width above input", spec(1, 1, (1, 1), padding=(0, 3), mode="circular"), 4, 2, "padding", ["3", "2"]),
          R("circular same even too big", spec(1, 1, (6, 1), padding="same", mode="circular"), 2, 2, "padding", ["3", "2"])]
    # groups
    c += [R("groups do not divide in_channels", spec(3, 2, (3, 3), groups=2), 5, 5, "groups", ["3", "2"]),
          R("groups do not divide out_channels", spec(4, 3, (3, 3), groups=2), 5, 5, "groups", ["3", "2"]),
          R("groups do not divide out_channels (transposed)", spec(4, 3, (3, 3), groups=2, transposed=True), 5, 5, "groups", ["3", "2"]),
          R("groups do not divide in_channels (transposed)", spec(3, 2, (2, 2), groups=2, transposed=True), 5, 5, "groups", ["3", "2"]),
          R("groups more than channels", spec(2, 4, (1, 1), groups=4), 3, 3, "groups", ["2", "4"]),
          R("negative groups", spec(2, 2, (1, 1), groups=-1), 3, 3, "groups", ["-1"])]
    # padding_mode
    c += [R("reflect on transposed", spec(1, 1, (3, 3), mode="reflect", transposed=True), 5, 5, "padding_mode", ["reflect"]),
          R("circular on transposed", spec(2, 2, (2, 2), mode="circular", transposed=True), 3, 3, "padding_mode", ["circular"]),
          R("replicate on transposed", spec(1, 1, (1, 1), mode="replicate", transposed=True), 3, 3, "padding_mode", ["replicate"]),
          R("unknown padding_mode", spec(1, 1, (3, 3), mode="wrap"), 5, 5, "padding_mode", ["wrap"]),
          R("padding_mode capitalised", spec(1, 1, (3, 3), padding=(1, 1), mode="Reflect"), 5, 5, "padding_mode", ["Reflect"]),
          R("padding_mode none", spec(1, 1, (3, 3), padding=(1, 1), mode="none"), 5, 5, "padding_mode", ["none"])]
    # stride, dilation, kernel non-positive (0 means "default" in a Go Spec, so negative numbers here)
    c += [R("negative stride", spec(1, 1, (3, 3), stride=(-1, 1)), 5, 5, "stride", ["-1x1"]),
          R("negative stride (transposed)", spec(1, 1, (3, 3), stride=(1, -2), transposed=True), 5, 5, "stride", ["1x-2"]),
          R("negative dilation", spec(1, 1, (3, 3), dilation=(-1, -1)), 5, 5, "dilation", ["-1x-1"]),
          R("negative dilation (transposed)", spec(1, 1, (3, 3), dilation=(2, -1), transposed=True), 5, 5, "dilation", ["2x-1"]),
          R("zero kernel", spec(1, 1, (0, 0)), 5, 5, "kernel_size", ["0x0"]),
          R("zero kernel height", spec(1, 1, (0, 3)), 5, 5, "kernel_size", ["0x3"]),
          R("zero kernel (transposed)", spec(1, 1, (3, 0), transposed=True), 5, 5, "kernel_size", ["3x0"]),
          R("negative kernel", spec(1, 1, (-1, 3)), 5, 5, "kernel_size", ["-1x3"])]
    # transposed output_padding and output size
    c += [R("output_padding equals stride", spec(1, 1, (3, 3), stride=(2, 2), output_padding=(2, 2), transposed=True), 5, 5, "output_padding", ["2x2"]),
          R("output_padding above stride and dilation", spec(1, 1, (3, 3), stride=(2, 1), dilation=(1, 2), output_padding=(0, 3), transposed=True), 4, 4, "output_padding", ["0x3"]),
          R("output_padding with stride 1", spec(1, 1, (2, 2), output_padding=(1, 0), transposed=True), 4, 4, "output_padding", ["1x0"]),
          R("output_padding equals stride and dilation", spec(2, 2, (3, 3), stride=(3, 3), dilation=(3, 3), output_padding=(3, 1), groups=2, transposed=True), 3, 3, "output_padding", ["3x1"]),
          R("negative output_padding", spec(1, 1, (3, 3), stride=(2, 2), output_padding=(-1, 0), transposed=True), 3, 3, "output_padding", ["-1x0"]),
          R("output_padding on Conv2d", spec(1, 1, (3, 3), stride=(2, 2), output_padding=(1, 1)), 5, 5, "output_padding", []),
          R("transposed output empty", spec(1, 1, (3, 3), padding=(2, 2), transposed=True), 1, 1, "padding", ["-1x-1"]),
          R("transposed output empty (height)", spec(1, 1, (1, 3), padding=(1, 0), transposed=True), 1, 4, "padding", ["-1x6"]),
          R("transposed output negative", spec(1, 1, (1, 1), padding=(3, 3), transposed=True), 2, 2, "padding", ["-4x-4"]),
          R("transposed output zero with stride", spec(1, 1, (2, 2), stride=(2, 2), padding=(2, 1), transposed=True), 2, 2, "padding", ["0x2"])]
    out = []
    for r in c:
        err = torch_try(r["spec"], r["n"], r["in_h"], r["in_w"])
        if err is None:
            sys.exit("PyTorch ACCEPTS the case meant as a rejection: %s" % r["name"])
        r["torch_error"] = err
        out.append(r)
    return out


# ---------------------------------------------------------------- accepted boundaries (run fully)
def boundaries():
    b = [("reflect pad = input-1", spec(1, 2, (3, 3), padding=(2, 1), mode="reflect"), 3, 2),
         ("reflect pad = input-1 on 2 pixels", spec(2, 1, (2, 2), padding=(1, 1), mode="reflect"), 2, 2),
         ("reflect same even kernel fits", spec(1, 1, (4, 2), padding="same", mode="reflect"), 3, 2),
         ("reflect pad 0 on 1 pixel", spec(1, 1, (1, 1), mode="reflect"), 1, 1),
         ("circular pad = input", spec(1, 1, (3, 3), padding=(3, 2), mode="circular"), 3, 2),
         ("circular pad = input on 1 pixel", spec(1, 1, (3, 3), padding=(1, 1), mode="circular"), 1, 1),
         ("circular same even kernel wraps fully", spec(1, 1, (4, 5), padding="same", mode="circular"), 2, 2),
         ("replicate pad far beyond input", spec(1, 1, (3, 3), padding=(6, 5), mode="replicate"), 2, 1),
         ("kernel exactly the input", spec(2, 3, (5, 4)), 5, 4),
         ("kernel exactly the padded input", spec(1, 1, (7, 6), padding=(1, 2)), 5, 2),
         ("dilated kernel exactly the padded input", spec(1, 1, (3, 2), padding=(1, 0), dilation=(3, 4)), 5, 5),
         ("kernel exactly the cropped input", spec(1, 1, (2, 3), padding=(-1, -1), mode="reflect"), 4, 5),
         ("crop to one pixel (circular)", spec(1, 1, (1, 1), padding=(-2, -1), mode="circular"), 5, 3),
         ("crop to one pixel (replicate)", spec(1, 1, (1, 1), padding=(-1, -2), mode="replicate"), 3, 5),
         ("same on 1x1 input", spec(1, 1, (3, 3), padding="same"), 1, 1),
         ("same even kernel on 1x1 input", spec(1, 1, (2, 2), padding="same"), 1, 1),
         ("same with dilation, even kernel", spec(2, 2, (2, 4), padding="same", dilation=(3, 1)), 4, 4),
         ("stride larger than input", spec(1, 1, (1, 1), stride=(9, 9)), 4, 4),
         ("1x1 everything", spec(1, 1, (1, 1)), 1, 1),
         ("depthwise 4 channels", spec(4, 4, (3, 3), padding=(1, 1), groups=4), 4, 4),
         ("depthwise multiplier 2", spec(3, 6, (2, 2), groups=3), 3, 3),
         ("transposed output exactly 1x1", spec(1, 1, (3, 3), padding=(1, 1), transposed=True), 1, 1),
         ("transposed padding crops to 1", spec(1, 1, (1, 2), stride=(3, 3), padding=(1, 2), transposed=True), 2, 2),
         ("transposed output_padding = stride-1", spec(1, 1, (3, 3), stride=(3, 2), output_padding=(2, 1), transposed=True), 2, 3),
         ("transposed output_padding < dilation with stride 1", spec(1, 1, (2, 2), dilation=(3, 2), output_padding=(2, 1), transposed=True), 2, 2),
         ("transposed depthwise", spec(3, 3, (2, 3), stride=(2, 1), groups=3, transposed=True), 2, 3),
         ("transposed groups dilation output_padding", spec(4, 6, (3, 2), stride=(2, 3), padding=(1, 1), dilation=(2, 1), groups=2, output_padding=(1, 2), transposed=True), 3, 2),
         ("transposed 1x1 input stride 3", spec(2, 1, (2, 2), stride=(3, 3), transposed=True), 1, 1),
         ]
    out = []
    for name, s, h, w in b:
        err = torch_try(s, 2, h, w)
        if err is not None:
            sys.exit("PyTorch REJECTS the boundary case %s: %s" % (name, err))
        out.append(run_case("boundary: " + name, s, 2, h, w))
    return out


# ---------------------------------------------------------------- larger shapes (the fast path's tiles and remainders)
def large():
    """Shapes big enough for the fast path's blocking, SIMD tiles and worker split (the
    benchmark shapes of issue 7 with a small batch, and odd sizes for remainders)."""
    c = [("n2 c1 28x28 o32 k3 s1 p1", spec(1, 32, (3, 3), padding=(1, 1)), 2, 28, 28),
         ("n1 c32 14x14 o64 k3 s1 p1", spec(32, 64, (3, 3), padding=(1, 1)), 1, 14, 14),
         ("n1 c1 28x28 o8 k5 s1 p2", spec(1, 8, (5, 5), padding=(2, 2)), 1, 28, 28),
         ("n3 c1 28x28 o16 k5 s1 p0", spec(1, 16, (5, 5)), 3, 28, 28),
         ("n3 c17 13x11 o19 k3x2 s2x1 p1 no bias", spec(17, 19, (3, 2), stride=(2, 1), padding=(1, 1), bias=False), 3, 13, 11),
         ("n2 c8 12x12 o8 k5 groups 4 reflect", spec(8, 8, (5, 5), padding=(2, 2), groups=4, mode="reflect"), 2, 12, 12),
         ("n2 c24 10x10 o48 k3 depthwise circular", spec(24, 48, (3, 3), padding=(1, 1), groups=24, mode="circular"), 2, 10, 10),
         ("n3 c5 9x31 o33 k1 pointwise", spec(5, 33, (1, 1)), 3, 9, 31),
         ("n2 c12 15x15 o20 k3 d2 same", spec(12, 20, (3, 3), padding="same", dilation=(2, 2)), 2, 15, 15),
         ("n2 c16 7x7 o8 k4 s2 p1 transposed", spec(16, 8, (4, 4), stride=(2, 2), padding=(1, 1), transposed=True), 2, 7, 7),
         ("n1 c6 9x5 o9 k3 s3x2 op1 groups 3 transposed", spec(6, 9, (3, 3), stride=(3, 2), output_padding=(1, 1), groups=3, transposed=True), 1, 9, 5)]
    return [run_case("large: " + name, s, n, h, w) for name, s, n, h, w in c]


# ---------------------------------------------------------------- Winograd F(2x2, 3x3)
def winograd():
    """3x3, stride-1, zero-padded layers with several channels: the shapes conv/winograd.go
    serves (odd and even sizes, asymmetric padding 0-2, "same", a batch split into image
    groups, one-pixel outputs). Generated after every other group, so adding them changed
    no earlier fixture."""
    c = [("n2 c8 14x14 o16 p1", spec(8, 16, (3, 3), padding=(1, 1)), 2, 14, 14),
         ("n3 c9 13x11 o10 p1", spec(9, 10, (3, 3), padding=(1, 1)), 3, 13, 11),
         ("n2 c8 7x9 o8 p0", spec(8, 8, (3, 3)), 2, 7, 9),
         ("n2 c12 6x5 o9 p2", spec(12, 9, (3, 3), padding=(2, 2)), 2, 6, 5),
         ("n1 c16 10x10 o24 p2x0", spec(16, 24, (3, 3), padding=(2, 0)), 1, 10, 10),
         ("n2 c10 9x9 o11 same", spec(10, 11, (3, 3), padding="same"), 2, 9, 9),
         ("n3 c16 9x9 o20 p1", spec(16, 20, (3, 3), padding=(1, 1)), 3, 9, 9),
         ("n2 c8 3x3 o8 p0", spec(8, 8, (3, 3)), 2, 3, 3),
         ("n3 c8 4x1 o8 p1", spec(8, 8, (3, 3), padding=(1, 1)), 3, 4, 1),
         ("n5 c11 8x8 o13 p1 no bias", spec(11, 13, (3, 3), padding=(1, 1), bias=False), 5, 8, 8),
         ("n2 c8 2x2 o8 p2", spec(8, 8, (3, 3), padding=(2, 2)), 2, 2, 2)]
    return [run_case("winograd: " + name, s, n, h, w) for name, s, n, h, w in c]


# ---------------------------------------------------------------- the lesson's numbers
def lesson():
    """The lesson's examples, so its numbers are PyTorch's (conv/lesson_test.go reads them by name)."""
    x5 = torch.tensor([1, 2, 3, 0, 1, 0, 1, 5, 1, 0, 1, 0, 2, 2, 1, 2, 1, 0, 1, 3, 0, 3, 1, 2, 0], dtype=torch.float64)
    cross = torch.tensor([1, 0, 1, 0, 1, 0, 1, 0, 1], dtype=torch.float64)
    out = [run_case("lesson: 5x5 input, cross filter", spec(1, 1, (3, 3), bias=False), 1, 5, 5, x=x5, wt=cross)]
    for name, s, h in [("lesson: 4x4, 3x3 kernel", spec(1, 1, (3, 3), bias=False), 4),
                       ("lesson: 28x28, 3x3 kernel", spec(1, 1, (3, 3), bias=False), 28),
                       ("lesson: 28x28, 3x3 kernel, padding 1", spec(1, 1, (3, 3), padding=(1, 1), bias=False), 28),
                       ("lesson: 28x28, 3x3 kernel, stride 2, padding 1", spec(1, 1, (3, 3), stride=(2, 2), padding=(1, 1), bias=False), 28),
                       ("lesson: 5x5, 3x3 kernel, stride 2", spec(1, 1, (3, 3), stride=(2, 2), bias=False), 5),
                       ("lesson: 5x5, 3x3 kernel, padding 2", spec(1, 1, (3, 3), padding=(2, 2), bias=False), 5)]:
        out.append(run_case(name, s, 1, h, h))
    return out


# ---------------------------------------------------------------- padding copy sources
def pads():
    out = []
    for mode in ["reflect", "replicate", "circular"]:
        for _ in range(12):
            h, w = rng.randint(1, 6), rng.randint(1, 6)
            lim = {"reflect": (h - 1, w - 1), "replicate": (5, 5), "circular": (h, w)}[mode]
            t, bt, l, r = [rng.randint(0, lim[0]), rng.randint(0, lim[0]), rng.randint(0, lim[1]), rng.randint(0, lim[1])]
            # Conv2d pads symmetrically except "same" (bottom/right one more); test any pair.
            idx = torch.arange(h * w, dtype=torch.float64).reshape(1, 1, h, w)
            p = F.pad(idx, (l, r, t, bt), mode=mode)
            out.append(dict(mode=mode, in_h=h, in_w=w, top=t, bottom=bt, left=l, right=r,
                            src=[int(v) for v in p.reshape(-1).tolist()]))
        # negative padding crops (Conv2d pads both sides alike, so crops are symmetric)
        for h, w, ch, cw in [(5, 4, 1, 0), (4, 6, 0, 2), (6, 6, 2, 1)]:
            idx = torch.arange(h * w, dtype=torch.float64).reshape(1, 1, h, w)
            p = F.pad(idx, (-cw, -cw, -ch, -ch), mode=mode)
            out.append(dict(mode=mode, in_h=h, in_w=w, top=-ch, bottom=-ch, left=-cw, right=-cw,
                            src=[int(v) for v in p.reshape(-1).tolist()]))
    return out


# ---------------------------------------------------------------- pooling
def pool_cases(count):
    out = []
    while len(out) < count:
        kind = "max" if len(out) % 2 == 0 else "avg"
        k = [rng.randint(1, 4), rng.randint(1, 4)]
        stride = None if rng.random() < 0.3 else [rng.randint(1, 3), rng.randint(1, 3)]
        pad = [rng.randint(0, k[0] // 2), rng.randint(0, k[1] // 2)]
        n, c, h, w = rng.randint(1, 2), rng.randint(1, 3), rng.randint(1, 8), rng.randint(1, 8)
        ties = len(out) % 4 == 0  # few distinct values: ties, where the first maximum must win
        x = (torch.tensor([rng.randint(0, 2) for _ in range(n * c * h * w)], dtype=torch.float64).reshape(n, c, h, w)
             if ties else q((n, c, h, w)))
        x.requires_grad_(True)
        st = tuple(stride) if stride else None
        try:
            if kind == "max":
                y = F.max_pool2d(x, tuple(k), st, tuple(pad))
            else:
                y = F.avg_pool2d(x, tuple(k), st, tuple(pad))
        except RuntimeError:
            continue
        gy = q(tuple(y.shape))
        y.backward(gy)
        out.append(dict(name="pool %d %s%s" % (len(out), kind, " ties" if ties else ""), kind=kind, kernel=k,
                        stride=stride or [0, 0], padding=pad, n=n, c=c, in_h=h, in_w=w, out_shape=list(y.shape),
                        x=exact(x), gy=exact(gy), y=flat(y), gx=flat(x.grad)))
    return out


def pool_large():
    """The MNIST network's pooling sizes."""
    out = []
    for kind, k, st, p, n, c, h in [("max", [2, 2], None, [0, 0], 2, 8, 28), ("max", [2, 2], None, [0, 0], 2, 16, 14),
                                    ("avg", [2, 2], None, [0, 0], 2, 8, 28), ("max", [3, 3], [2, 2], [1, 1], 1, 4, 27)]:
        x = q((n, c, h, h)).requires_grad_(True)
        f = F.max_pool2d if kind == "max" else F.avg_pool2d
        y = f(x, tuple(k), tuple(st) if st else None, tuple(p))
        gy = q(tuple(y.shape))
        y.backward(gy)
        out.append(dict(name="pool large %s %dx%d" % (kind, c, h), kind=kind, kernel=k, stride=st or [0, 0], padding=p,
                        n=n, c=c, in_h=h, in_w=h, out_shape=list(y.shape), x=exact(x), gy=exact(gy), y=flat(y),
                        gx=flat(x.grad)))
    return out


def pool_rejects():
    c = [("max pad above half kernel", "max", [3, 3], [1, 1], [2, 1], 5, 5, "padding", ["2x1", "3x3"]),
         ("avg pad above half kernel", "avg", [2, 4], [1, 1], [0, 3], 5, 5, "padding", ["0x3", "2x4"]),
         ("max pad on 1x1 kernel", "max", [1, 1], [1, 1], [1, 0], 5, 5, "padding", ["1x0", "1x1"]),
         ("max negative pad", "max", [3, 3], [1, 1], [-1, 0], 5, 5, "padding", ["-1x0"]),
         ("avg negative pad", "avg", [3, 3], [1, 1], [0, -1], 5, 5, "padding", ["0x-1"]),
         ("max kernel larger than input", "max", [3, 3], [1, 1], [0, 0], 2, 2, "kernel_size", ["3x3", "2x2"]),
         ("avg kernel larger than input", "avg", [1, 4], [1, 1], [0, 0], 5, 3, "kernel_size", ["1x4", "5x3"]),
         ("max kernel larger than padded input", "max", [4, 4], [2, 2], [1, 1], 1, 1, "kernel_size", ["4x4", "3x3"]),
         ("max zero kernel", "max", [0, 2], [1, 1], [0, 0], 5, 5, "kernel_size", ["0x2"]),
         ("avg negative stride", "avg", [2, 2], [-1, 1], [0, 0], 5, 5, "stride", ["-1x1"]),
         ("max negative stride", "max", [2, 2], [2, -2], [0, 0], 5, 5, "stride", ["2x-2"])]
    out = []
    for name, kind, k, s, p, h, w, param, contains in c:
        x = torch.zeros(1, 1, h, w)
        try:
            if kind == "max":
                F.max_pool2d(x, tuple(k), tuple(s), tuple(p))
            else:
                F.avg_pool2d(x, tuple(k), tuple(s), tuple(p))
        except (RuntimeError, ValueError) as e:
            out.append(dict(name=name, kind=kind, kernel=k, stride=s, padding=p, c=1, in_h=h, in_w=w, param=param,
                            contains=contains, torch_error=str(e).split("\n")[0]))
            continue
        sys.exit("PyTorch ACCEPTS pooling case meant as a rejection: " + name)
    return out


def main():
    cases, rand_rejects = random_cases(320)
    doc = dict(
        generator="scripts/gen_conv_golden.py",
        torch_version=torch.__version__,
        conv=cases + boundaries() + lesson() + large(),
        reject=rejections() + rand_rejects,
        pad=pads(),
        pool=pool_cases(60) + pool_large(),
        pool_reject=pool_rejects(),
    )
    doc["conv"] += winograd()  # last: draws from the seeded generators after every other group
    raw = json.dumps(doc, separators=(",", ":")).encode()
    with gzip.GzipFile(OUT, "wb", mtime=0) as f:
        f.write(raw)
    print("wrote %s: %d conv, %d reject, %d pad, %d pool, %d pool_reject; %d bytes json, %d gzipped" % (
        OUT, len(doc["conv"]), len(doc["reject"]), len(doc["pad"]), len(doc["pool"]), len(doc["pool_reject"]),
        len(raw), os.path.getsize(OUT)))


if __name__ == "__main__":
    main()
