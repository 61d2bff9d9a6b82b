#!/usr/bin/env python3
"""Writes the QuickStart subset of Fashion-MNIST as PNG files.

Source: the Debian package `dataset-fashion-mnist` (IDX files under /usr/share/datasets/fashion-mnist),
Fashion-MNIST by Zalando Research, MIT licence (see LICENSE-fashion-mnist.txt beside this script).
Takes the first N images of each class, in file order, so the subset is the same on every machine.

    python3 make_subset.py [--train 50] [--test 20] [--source DIR] [--out DIR]
"""
import argparse, gzip, os, struct, zlib

CLASSES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def png_gray(width, height, pixels):
    raw = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def write_split(source, prefix, per_class, out):
    (n, h, w), images = read_idx(os.path.join(source, f"{prefix}-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(source, f"{prefix}-labels-idx1-ubyte.gz"))
    counts = [0] * len(CLASSES)
    for i in range(n):
        c = labels[i]
        if counts[c] >= per_class:
            continue
        counts[c] += 1
        folder = os.path.join(out, CLASSES[c])
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{prefix}-{i:05d}.png"), "wb") as f:
            f.write(png_gray(w, h, images[i * h * w:(i + 1) * h * w]))
        if min(counts) >= per_class:
            break


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", type=int, default=50)
    p.add_argument("--test", type=int, default=20)
    p.add_argument("--source", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    a = p.parse_args()
    write_split(a.source, "train", a.train, os.path.join(a.out, "train"))
    write_split(a.source, "t10k", a.test, os.path.join(a.out, "test"))
