#!/usr/bin/python3
"""Every layer's output of the shipped network, from PyTorch: internal/explain/testdata/network_golden.json.gz.

Run with Debian's python3-torch (`make golden-network`), after any change to
mnist/model/reference.safetensors: the fixture records the model file's
SHA-256 and the Go test refuses a fixture made from another model.

It loads the shipped weights into the same nn.Sequential, runs a few MNIST
test digits through it with a forward hook on every module, and records
each module's output. For one conv2 cell per digit it also records the
partial sums per input channel computed by hand in torch (the pooled conv1
maps, zero-padded, times the kernel, summed channel by channel), the bias
and the total, for internal/explain's conv2 explanation.

Inputs: MNIST test images (the t10k IDX file in the Go module cache, or
$MNIST_DIR), bytes / 255 as float32, stored in the fixture.
"""
import glob
import gzip
import hashlib
import json
import os
import struct
import sys

import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MODEL = os.path.join(ROOT, "mnist", "model", "reference.safetensors")
OUT = os.path.join(ROOT, "internal", "explain", "testdata", "network_golden.json.gz")
DIGITS = [0, 1, 8]          # MNIST test indices (a 7, a 2 and a 5)
CELLS = [(5, 7, 7), (40, 3, 10), (63, 13, 0)]  # one conv2 cell (channel, row, column) per digit


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", t
        a, b = t["data_offsets"]
        out[name] = torch.frombuffer(bytearray(body[a:b]), dtype=torch.float32).reshape(t["shape"])
    return out, header.get("__metadata__", {})


def mnist_test():
    d = os.environ.get("MNIST_DIR")
    if not d:
        cands = glob.glob(os.path.expanduser("~/go/pkg/mod/github.com/petar/*/data"))
        if not cands:
            sys.exit("MNIST not found: set MNIST_DIR or run `go mod download`")
        d = cands[0]
    with gzip.open(os.path.join(d, "t10k-images-idx3-ubyte.gz")) as f:
        img = f.read()
    with gzip.open(os.path.join(d, "t10k-labels-idx1-ubyte.gz")) as f:
        lab = f.read()
    return img[16:], lab[8:]


def flat(t):
    return [float("%.8g" % v) for v in t.detach().reshape(-1).tolist()]


def main():
    with open(MODEL, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    tensors, meta = load_safetensors(MODEL)
    net = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 10))
    net.load_state_dict(tensors)
    net.eval()
    outs = {}

    def hook(i):
        def f(_m, _inp, out):
            outs[i] = out.detach().clone()  # ReLU(inplace) would change it later
        return f

    for i, m in enumerate(net):
        m.register_forward_hook(hook(i))
    pix, labels = mnist_test()
    digits = []
    for d, (oc, oy, ox) in zip(DIGITS, CELLS):
        x = torch.tensor(list(pix[d * 784:(d + 1) * 784]), dtype=torch.float64).div(255).float().reshape(1, 1, 28, 28)
        outs.clear()
        with torch.no_grad():
            logits = net(x)
            probs = F.softmax(logits, dim=1)
            # conv2 cell (oc, oy, ox) by hand: the 3x3 window of every pooled conv1 map (zero padding 1).
            p1 = F.pad(outs[2][0], (1, 1, 1, 1)).double()
            w = net[3].weight[oc].double()
            parts = [(p1[ci, oy:oy + 3, ox:ox + 3] * w[ci]).sum().item() for ci in range(p1.shape[0])]
            bias = net[3].bias[oc].item()
        digits.append(dict(index=d, label=labels[d], input=x.reshape(-1).tolist(),
                           layers=[dict(seq=i, module=str(net[i]), shape=list(outs[i].shape), data=flat(outs[i]))
                                   for i in range(len(net))],
                           probabilities=flat(probs),
                           conv2_cell=dict(channel=oc, y=oy, x=ox, channel_sums=parts, bias=bias,
                                           total=sum(parts) + bias, torch_value=outs[3][0, oc, oy, ox].item())))
    doc = dict(generator="scripts/gen_network_golden.py", torch_version=torch.__version__,
               model="mnist/model/reference.safetensors", model_sha256=sha, digits=digits)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with gzip.GzipFile(OUT, "wb", mtime=0) as f:
        f.write(json.dumps(doc, separators=(",", ":")).encode())
    print("wrote %s: %d digits, model %s" % (OUT, len(digits), sha[:12]))


if __name__ == "__main__":
    main()
