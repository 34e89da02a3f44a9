#!/usr/bin/python3
"""PyTorch reference for mnist/: one Adam step of the `reference` network.

Writes mnist/testdata/train_step.safetensors.gz, read by
mnist/parity_test.go (`go test` never runs Python). Run from the repo root:

    /usr/bin/python3 scripts/gen_train_step.py

The initial weights, the batch and the labels are not stored: both sides
make them with the same integer hash (splitmix64), so the fixture holds
only what PyTorch computed:

    loss           [1]      cross-entropy (mean) of the batch before the step
    <param>.grad   [...]    d loss / d param before the step
    <param>.delta  [...]    param after one Adam(lr=1e-3) step minus before
    opt.grads      [3, 16]  three gradients fed to a 16-number parameter
    adam.p         [3, 16]  that parameter after each Adam(lr=0.01) step
    sgd.p          [3, 16]  after each SGD(lr=0.1, momentum=0.9) step
"""
import gzip, json, math, os, struct, sys

import torch
from torch import nn

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

M64 = (1 << 64) - 1
SEED = 20250601
BATCH = 8


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def unit(stream, i):
    """A number in [0, 1) with 24 bits, exact in float32 (same as Go's hashUnit)."""
    return (splitmix64(((stream & 0xFFFFFFFF) << 32) | i) >> 40) / float(1 << 24)


def reference():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 10))


def fill(net):
    """Parameter k (state_dict order), element i: (2u-1)/sqrt(fan_in) (Go: hashInit)."""
    with torch.no_grad():
        for k, (name, p) in enumerate(net.state_dict().items()):
            mod = net[int(name.split(".")[0])]
            fan_in = mod.weight[0].numel()
            bound = 1.0 / math.sqrt(fan_in)
            vals = [(2.0 * unit(SEED + k, i) - 1.0) * bound for i in range(p.numel())]
            p.copy_(torch.tensor(vals, dtype=torch.float64).reshape(p.shape).float())


def batch():
    x = torch.tensor([unit(SEED + 1000, i) for i in range(BATCH * 784)], dtype=torch.float32).reshape(BATCH, 1, 28, 28)
    y = torch.tensor([splitmix64(SEED + 2000 + i) % 10 for i in range(BATCH)], dtype=torch.long)
    return x, y


def write_safetensors(path, tensors, meta):
    header, buf, off = {}, bytearray(), 0
    for name, t in tensors:
        data = t.detach().contiguous().float().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        buf += data
        off += len(data)
    header["__metadata__"] = meta
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    raw = struct.pack("<Q", len(h)) + h + bytes(buf)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, compresslevel=9) as g:
            g.write(raw)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "mnist/testdata/train_step.safetensors.gz"
    net = reference()
    fill(net)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x, y = batch()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    opt.zero_grad()
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    grads = {k: p.grad.clone() for k, p in net.named_parameters()}
    opt.step()
    tensors = [("loss", loss.detach().reshape(1))]
    for k, p in net.named_parameters():
        tensors.append((k + ".grad", grads[k]))
        tensors.append((k + ".delta", p.detach() - before[k]))

    # Three steps of each optimizer on a small parameter with given gradients.
    p0 = torch.tensor([(2 * unit(SEED + 3000, i) - 1) for i in range(16)], dtype=torch.float32)
    gs = torch.tensor([(2 * unit(SEED + 3001, i) - 1) * 10 ** (j - 2) for j in range(3) for i in range(16)],
                      dtype=torch.float32).reshape(3, 16)
    for name, make in [("adam", lambda ps: torch.optim.Adam(ps, lr=0.01)),
                       ("sgd", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9))]:
        p = nn.Parameter(p0.clone())
        o = make([p])
        steps = []
        for j in range(3):
            p.grad = gs[j].clone()
            o.step()
            steps.append(p.detach().clone())
        tensors.append((name + ".p", torch.stack(steps)))
    tensors.append(("opt.grads", gs))
    tensors.append(("opt.p0", p0))
    write_safetensors(out, tensors, {"torch": torch.__version__, "seed": str(SEED), "batch": str(BATCH)})
    print(f"{out}: loss {loss.item():.6f}, {len(tensors)} tensors")


if __name__ == "__main__":
    main()
