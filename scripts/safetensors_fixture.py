#!/usr/bin/python3
"""Write mnist/testdata/torch.safetensors and torch_safetensors.json.

The .safetensors file holds tensors made by torch (fixed seed), serialised
exactly as huggingface's safetensors library does it (safetensors.torch.
save_file): 8-byte little-endian header length, a compact JSON header with
"__metadata__" first and tensors sorted by dtype alignment then name, padded
with spaces to a multiple of 8, then the little-endian data. The Debian
machine has torch but not the safetensors package, so the format is written
by hand here; if the package is installed the script also checks that
safetensors.torch.save_file produces the identical bytes.

The .json file lists every tensor's shape and values (as float32 bit
patterns, so nothing is lost in decimal) for the Go test to compare with.

Run from the repository root:  /usr/bin/python3 scripts/safetensors_fixture.py
"""
import json
import os
import struct

import torch

OUT = os.path.join("mnist", "testdata")


def save_file(tensors, path, metadata=None):
    """A byte-exact copy of safetensors.torch.save_file for F32 tensors."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    # safetensors sorts by (alignment descending, name); all F32 here.
    names = sorted(tensors)
    offset = 0
    chunks = []
    for name in names:
        t = tensors[name].detach().contiguous()
        assert t.dtype == torch.float32
        data = struct.pack("<%df" % t.numel(), *t.flatten().tolist())
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)


def bits(t):
    return [struct.unpack("<I", struct.pack("<f", v))[0] for v in t.flatten().tolist()]


def main():
    torch.manual_seed(20150320)
    conv = torch.nn.Conv2d(1, 2, 3, padding=1)
    lin = torch.nn.Linear(4, 3)
    tensors = {
        "0.weight": conv.weight,            # [2, 1, 3, 3]
        "0.bias": conv.bias,                # [2]
        "3.weight": lin.weight,             # [3, 4]
        "3.bias": lin.bias,                 # [3]
        "scalar": torch.tensor(3.5),        # shape []
        "empty": torch.zeros(0, 5),         # no values
        "special": torch.tensor([0.0, -0.0, 1e-45, 3.4028235e38, -1.0]),  # subnormal, max
    }
    meta = {"format": "pt", "preset": "fixture", "note": "written by scripts/safetensors_fixture.py"}
    path = os.path.join(OUT, "torch.safetensors")
    save_file(tensors, path, meta)
    try:
        from safetensors.torch import save_file as real_save
        real = path + ".check"
        real_save({k: v.detach().contiguous() for k, v in tensors.items()}, real, metadata=meta)
        with open(real, "rb") as a, open(path, "rb") as b:
            assert a.read() == b.read(), "hand-written file differs from safetensors' own"
        os.remove(real)
        print("checked against the safetensors package")
    except ImportError:
        print("safetensors package not installed: wrote the format by hand")
    want = {"metadata": meta,
            "tensors": [{"name": k, "shape": list(v.shape), "bits": bits(v.detach())}
                        for k, v in sorted(tensors.items())]}
    with open(os.path.join(OUT, "torch_safetensors.json"), "w") as f:
        json.dump(want, f, indent=1)
        f.write("\n")

    # Check the file convlab's Go encoder wrote (see TestSafetensorsGoFixture)
    # reads back in torch with the same reader logic.
    go_path = os.path.join(OUT, "go.safetensors")
    if os.path.exists(go_path):
        with open(go_path, "rb") as f:
            raw = f.read()
        n = struct.unpack("<Q", raw[:8])[0]
        hdr = json.loads(raw[8:8 + n])
        buf = raw[8 + n:]
        for name, e in hdr.items():
            if name == "__metadata__":
                continue
            assert e["dtype"] == "F32"
            b, end = e["data_offsets"]
            if end == b:
                t = torch.zeros(e["shape"])
            else:
                t = torch.frombuffer(bytearray(buf[b:end]), dtype=torch.float32).reshape(e["shape"])
            print("go.safetensors:", name, tuple(t.shape), "sum %.6g" % t.sum().item())
            if name == "0.weight":  # sampleTensors in safetensors_test.go
                want = (torch.arange(18, dtype=torch.float32) * 0.25 - 2).reshape(2, 1, 3, 3)
                assert torch.equal(t, want), t
        assert hdr["__metadata__"] == {"format": "pt"}
        print("go.safetensors reads in torch as expected")


if __name__ == "__main__":
    main()
