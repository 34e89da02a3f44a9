#!/usr/bin/python3
"""Load convlab's model into PyTorch's nn.Sequential and measure it.

    /usr/bin/python3 scripts/torch_eval_model.py [model.safetensors] [MNIST dir]

Shows that the file is a plain PyTorch state_dict: load_state_dict with
strict=True, then the accuracy on the 10,000 MNIST test images (which
should equal what convlab's TestShippedModel reports). Uses
safetensors.torch.load_file when the package is installed, else reads the
(simple) format directly.
"""
import glob, gzip, json, os, struct, sys

import torch
from torch import nn


def load_file(path):
    try:
        from safetensors.torch import load_file as lf
        return lf(path)
    except ImportError:
        pass
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32"
        b, end = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:end]), dtype=torch.float32).reshape(e["shape"])
    return out


def idx(path):
    raw = gzip.open(path).read()
    magic = struct.unpack(">I", raw[:4])[0]
    dims = struct.unpack(">" + "I" * (magic & 0xFF), raw[4:4 + 4 * (magic & 0xFF)])
    return torch.frombuffer(bytearray(raw[4 + 4 * len(dims):]), dtype=torch.uint8).reshape(dims)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "mnist/model/reference.safetensors"
    d = sys.argv[2] if len(sys.argv) > 2 else (os.environ.get("MNIST_DIR") or glob.glob(
        os.path.expanduser("~/go/pkg/mod/github.com/petar/!go!m!n!i!s!t@*/data"))[0])
    net = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 10))
    net.load_state_dict(load_file(path))  # strict: every name and shape must match
    x = idx(os.path.join(d, "t10k-images-idx3-ubyte.gz")).float().div(255).unsqueeze(1)
    y = idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).long()
    with torch.no_grad():
        pred = torch.cat([net(x[i:i + 1000]).argmax(1) for i in range(0, len(x), 1000)])
    print(f"{path}: PyTorch test accuracy {100 * (pred == y).float().mean().item():.2f}% on {len(y)} images")


if __name__ == "__main__":
    main()
