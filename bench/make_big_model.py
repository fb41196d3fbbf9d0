#!/usr/bin/python3
"""Write a large but valid tree-ensemble model file (models/FORMAT.md, kind 3)
for the memory and start-up benchmark.

    /usr/bin/python3 bench/make_big_model.py OUT.mlp [--size-mb 200]
        [--depth 10] [--features 30] [--seed 0]

A random forest classifier in the shape scikit-learn's is written: complete
trees of the given depth with random features and thresholds, two classes,
leaves holding class probabilities averaged over the trees (link "mean",
float32 inputs). As many trees as make about --size-mb megabytes
(10^6 bytes). The answers mean nothing; the file is valid in every respect
the loader checks. Prints the size written.
"""

import argparse
import json
import os
import struct
import sys
import zlib

import numpy as np

MAGIC = b"MLPREDCT"
ALIGN = 64
KIND_TREES = 3
LINK_MEAN = 5
FLAG_INPUT_F32 = 0x01
F64, STRINGS, U32, NODE = 1, 2, 3, 4
NODE_DTYPE = np.dtype([("threshold", "<f8"), ("a", "<u4"), ("info", "<u4")])


def strings(items):
    return b"".join(s.encode() + b"\0" for s in items), len(items)


def forest(n_trees, depth, n_features, rng):
    n_int = 2 ** depth - 1            # internal nodes per tree
    n_leaf = 2 ** depth
    n_nodes = n_int + n_leaf
    i = np.arange(n_nodes, dtype=np.uint32)
    t = np.arange(n_trees, dtype=np.uint32)[:, None]

    nodes = np.zeros((n_trees, n_nodes), dtype=NODE_DTYPE)
    # heap order: the children of node i are 2i+1 and 2i+2 (left, left+1)
    nodes["a"][:, :n_int] = t * n_nodes + 2 * i[:n_int] + 1
    nodes["info"][:, :n_int] = rng.integers(0, n_features,
                                            size=(n_trees, n_int),
                                            dtype=np.uint32)
    nodes["threshold"][:, :n_int] = rng.standard_normal((n_trees, n_int))
    nodes["a"][:, n_int:] = t * n_leaf + (i[n_int:] - n_int)
    nodes["info"][:, n_int:] = 0x80000000
    roots = (np.arange(n_trees, dtype=np.uint32) * n_nodes).astype("<u4")

    p = rng.random(n_trees * n_leaf)
    leaves = np.empty((n_trees * n_leaf, 2), dtype="<f8")
    leaves[:, 0] = p
    leaves[:, 1] = 1.0 - p
    return nodes.reshape(-1), roots, leaves.reshape(-1)


def write(path, size_mb=200.0, depth=10, n_features=30, seed=0):
    n_nodes = 2 ** (depth + 1) - 1
    per_tree = n_nodes * 16 + 2 ** depth * 16 + 4
    n_trees = max(1, int(round(size_mb * 1e6 / per_tree)))
    rng = np.random.default_rng(seed)
    nodes, roots, leaves = forest(n_trees, depth, n_features, rng)

    names, n_names = strings(["x%d" % j for j in range(n_features)])
    labels, n_labels = strings(["0", "1"])
    producer, _ = strings([json.dumps({
        "library": "bench/make_big_model.py", "random": True,
        "n_trees": n_trees, "depth": depth, "seed": seed})])
    params = np.array([n_trees, 2, 2, FLAG_INPUT_F32, 0, 0, 0, 0], "<u4")

    sections = [  # id, dtype, bytes, count
        (1, STRINGS, names, n_names),
        (2, STRINGS, labels, n_labels),
        (3, STRINGS, producer, 1),
        (30, U32, params.tobytes(), len(params)),
        (31, U32, memoryview(roots).cast("B"), len(roots)),
        (34, NODE, memoryview(nodes).cast("B"), len(nodes)),
        (35, F64, memoryview(leaves).cast("B"), len(leaves)),
    ]

    off = 64 + 32 * len(sections)
    table = b""
    chunks = []
    for sid, dtype, data, count in sections:
        start = (off + ALIGN - 1) // ALIGN * ALIGN
        chunks.append(b"\0" * (start - off))
        chunks.append(data)
        table += struct.pack("<IIQQQ", sid, dtype, start, len(data), count)
        off = start + len(data)
    file_size = off

    tail = struct.pack("<IIIIQII", KIND_TREES, n_features, 2, len(sections),
                       64, LINK_MEAN, 0)
    crc = zlib.crc32(tail)
    crc = zlib.crc32(table, crc)
    for c in chunks:
        crc = zlib.crc32(c, crc)
    head = struct.pack("<8sIIQII", MAGIC, 1, 0x01020304, file_size,
                       crc & 0xFFFFFFFF, 0)

    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(head + tail + table)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)
    return file_size, n_trees


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--size-mb", type=float, default=200.0)
    p.add_argument("--depth", type=int, default=10)
    p.add_argument("--features", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    size, n_trees = write(a.out, a.size_mb, a.depth, a.features, a.seed)
    print("%s: %d bytes, %d trees of depth %d" % (a.out, size, n_trees,
                                                  a.depth))
    return 0


if __name__ == "__main__":
    sys.exit(main())
