#!/usr/bin/python3
"""Makes the small mnist.pkl.gz fixtures the pickle reader's tests use.

Run once on a dev machine, from the repository root, and commit what it writes:

    apt-get install -y python3-numpy     # Debian's python3 with numpy (/usr/bin/python3)
    /usr/bin/python3 tests/Backprop.TorchSharp.Tests/Fixtures/make_pickle_fixtures.py

Nothing in the build or the tests runs this script. With `--full PATH` it writes a full-size mnist.pkl.gz instead
(50,000 / 10,000 / 10,000 images, about 17 MB; not committed), for measuring the reader on a file of the real size.

The course's mnist.pkl.gz is gzip of `cPickle.dump(((x_train, y_train), (x_valid, y_valid), (x_test, y_test)), f, 2)`
made by Python 2. Python 3's pickle writes numpy's byte strings differently (through `_codecs.encode`), so this
script writes the opcodes Python 2's cPickle writes for such arrays by hand, memo and all:

    x = numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), 'b')      GLOBAL, args, REDUCE
    x.__setstate__((1, shape, dtype, is_fortran, rawdata))                 state tuple, BUILD
    dtype = numpy.dtype('f4', 0, 1)                                        GLOBAL, args, REDUCE
    dtype.__setstate__((3, '<', None, None, None, -1, -1, 0))              state tuple, BUILD

numpy only supplies realistic arrays: the first 5 training images (train), images 50,000 to 50,002 (valid) and
the first 2 test images (test) of data/mnist, as float32 byte / 256 and int64 labels, the way the real file holds
them. Each fixture is checked by loading it back with Python 3's pickle.
"""

import gzip
import io
import pickle
import struct
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
MNIST = ROOT / "data" / "mnist"


def idx(name):
    """The array in one of data/mnist's gzip'ed IDX files."""
    raw = gzip.decompress((MNIST / name).read_bytes())
    rank = raw[3]
    dims = struct.unpack(">" + "I" * rank, raw[4:4 + 4 * rank])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


class Py2Pickler:
    """Writes protocol-2 opcodes the way Python 2's cPickle does, memoizing what cPickle memoizes."""

    def __init__(self):
        self.out = io.BytesIO()
        self.memo = {}

    def op(self, code, payload=b""):
        self.out.write(code + payload)

    def put(self, key):
        i = len(self.memo)
        self.memo[key] = i
        self.op(b"q", bytes([i])) if i < 256 else self.op(b"r", struct.pack("<I", i))  # BINPUT / LONG_BINPUT

    def get(self, key):
        """Writes BINGET / LONG_BINGET and returns True when key is memoized."""
        if key not in self.memo:
            return False
        i = self.memo[key]
        self.op(b"h", bytes([i])) if i < 256 else self.op(b"j", struct.pack("<I", i))
        return True

    def int(self, v):
        if 0 <= v < 256:
            self.op(b"K", bytes([v]))  # BININT1
        elif 0 <= v < 65536:
            self.op(b"M", struct.pack("<H", v))  # BININT2
        else:
            self.op(b"J", struct.pack("<i", v))  # BININT

    def none(self):
        self.op(b"N")

    def bool(self, v):
        self.op(b"\x88" if v else b"\x89")  # NEWTRUE / NEWFALSE

    def str(self, s, key=None):
        """A Python 2 str (bytes); key memoizes it for reuse, as cPickle does for the interned one-letter ones."""
        if key is not None and self.get(key):
            return
        if len(s) < 256:
            self.op(b"U", bytes([len(s)]) + s)  # SHORT_BINSTRING
        else:
            self.op(b"T", struct.pack("<i", len(s)) + s)  # BINSTRING
        self.put(key if key is not None else object())

    def global_(self, module, name):
        if self.get(("global", module, name)):
            return
        self.op(b"c", f"{module}\n{name}\n".encode())  # GLOBAL
        self.put(("global", module, name))

    def tuple(self, items):
        """items: callables that write one element each."""
        if len(items) == 0:
            self.op(b")")  # EMPTY_TUPLE
            return
        if len(items) <= 3:
            for write in items:
                write()
            self.op(b"\x85\x86\x87"[len(items) - 1:len(items)])  # TUPLE1 / TUPLE2 / TUPLE3
        else:
            self.op(b"(")  # MARK
            for write in items:
                write()
            self.op(b"t")  # TUPLE
        self.put(object())

    def dtype(self, kind, order, unicode_kind=False):
        """numpy.dtype(kind, 0, 1) with state (3, order, None, None, None, -1, -1, 0): once, then BINGET."""
        key = ("dtype", kind, order, unicode_kind)
        if self.get(key):
            return
        self.global_("numpy", "dtype")
        if unicode_kind:  # what Python 3 writes for the str 'f4': BINUNICODE
            kind_op = lambda: (self.op(b"X", struct.pack("<I", len(kind)) + kind.encode()), self.put(object()))
        else:
            kind_op = lambda: self.str(kind.encode())
        self.tuple([kind_op, lambda: self.int(0), lambda: self.int(1)])
        self.op(b"R")  # REDUCE
        self.put(key)
        self.tuple([lambda: self.int(3), lambda: self.str(order.encode(), key=("char", order)),
                    self.none, self.none, self.none, lambda: self.int(-1), lambda: self.int(-1), lambda: self.int(0)])
        self.op(b"b")  # BUILD

    def ndarray(self, a, order="<", fortran=False, shape=None, raw=None, unicode_kind=False):
        """An array as numpy's __reduce__ gives it; the keyword arguments forge the bad variants."""
        kind = {np.dtype("float32"): "f4", np.dtype("int64"): "i8", np.dtype("float64"): "f8"}[a.dtype]
        shape = a.shape if shape is None else shape
        raw = (a.astype(a.dtype.newbyteorder(order)).tobytes(order="F" if fortran else "C")) if raw is None else raw
        self.global_("numpy.core.multiarray", "_reconstruct")
        self.tuple([lambda: self.global_("numpy", "ndarray"),
                    lambda: self.tuple([lambda: self.int(0)]),
                    lambda: self.str(b"b", key=("char", "b"))])
        self.op(b"R")  # REDUCE
        self.put(object())
        self.tuple([lambda: self.int(1),
                    lambda: self.tuple([(lambda d: lambda: self.int(d))(d) for d in shape]),
                    lambda: self.dtype(kind, order, unicode_kind),
                    lambda: self.bool(fortran),
                    lambda: self.str(raw)])
        self.op(b"b")  # BUILD

    def dump(self, splits, forge=None):
        """((x_train, y_train), (x_valid, y_valid), (x_test, y_test)); forge(pickler, name, array) writes one array instead."""
        forge = forge or (lambda p, name, a: False)
        self.op(b"\x80\x02")  # PROTO 2

        def array(name, a):
            return lambda: forge(self, name, a) or self.ndarray(a)

        self.tuple([(lambda n, x, y: lambda: self.tuple([array("x_" + n, x), array("y_" + n, y)]))(n, x, y)
                    for n, (x, y) in splits])
        self.op(b".")  # STOP
        return self.out.getvalue()


def splits(full=False):
    images, labels = idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz")
    t_images, t_labels = idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz")

    def xy(ims, lbs):
        return (ims.reshape(len(ims), 784).astype(np.float32) / np.float32(256)), lbs.astype(np.int64)

    if full:
        return [("train", xy(images[:50000], labels[:50000])),
                ("valid", xy(images[50000:], labels[50000:])),
                ("test", xy(t_images, t_labels))]
    return [("train", xy(images[:5], labels[:5])),
            ("valid", xy(images[50000:50003], labels[50000:50003])),
            ("test", xy(t_images[:2], t_labels[:2]))]


def write(name, data):
    buf = io.BytesIO()
    # The course's file was written by gzip.open('mnist.pkl.gz', 'wb'): its header names mnist.pkl. mtime=0 for
    # reproducible fixtures.
    with gzip.GzipFile(filename="mnist.pkl", mode="wb", fileobj=buf, mtime=0) as f:
        f.write(data)
    (HERE / name if isinstance(name, str) else name).write_bytes(buf.getvalue())
    print(f"{name}: {len(data)} bytes of pickle, {len(buf.getvalue())} gzip'ed")


def main():
    s = splits()
    good = Py2Pickler().dump(s)
    loaded = pickle.loads(good, encoding="latin-1")
    for (n, (x, y)), (lx, ly) in zip(s, loaded):
        assert lx.dtype == np.float32 and ly.dtype == np.int64 and np.array_equal(lx, x) and np.array_equal(ly, y), n
    write("mnist-small.pkl.gz", good)

    def wrong_shape(p, name, a):  # x_valid as (3, 28, 28): the right bytes, the wrong shape
        return name == "x_valid" and (p.ndarray(a.reshape(3, 28, 28)) or True)

    bad = Py2Pickler().dump(s, wrong_shape)
    assert pickle.loads(bad, encoding="latin-1")[1][0].shape == (3, 28, 28)
    write("mnist-wrong-shape.pkl.gz", bad)

    def big_endian(p, name, a):  # y_test as >i8
        return name == "y_test" and (p.ndarray(a, order=">") or True)

    bad = Py2Pickler().dump(s, big_endian)
    # numpy swaps a non-native array to native order as it loads it: the values must survive that.
    assert b"U\x01>" in bad and np.array_equal(pickle.loads(bad, encoding="latin-1")[2][1], s[2][1][1])
    write("mnist-big-endian.pkl.gz", bad)

    def fortran(p, name, a):  # x_train in column-major order
        return name == "x_train" and (p.ndarray(a, fortran=True) or True)

    bad = Py2Pickler().dump(s, fortran)
    assert pickle.loads(bad, encoding="latin-1")[0][0].flags.f_contiguous
    write("mnist-fortran.pkl.gz", bad)

    def short_payload(p, name, a):  # y_train's payload one label short of its shape
        return name == "y_train" and (p.ndarray(a, raw=a[:-1].tobytes()) or True)

    write("mnist-short-payload.pkl.gz", Py2Pickler().dump(s, short_payload))

    def unicode_dtype(p, name, a):  # x_test's dtype named the way Python 3 writes it
        return name == "x_test" and (p.ndarray(a, unicode_kind=True) or True)

    bad = Py2Pickler().dump(s, unicode_dtype)
    assert pickle.loads(bad, encoding="latin-1")[2][0].dtype == np.float32
    offset = bad.index(b"X\x02\x00\x00\x00f4")
    print(f"  (BINUNICODE at offset {offset})")
    write("mnist-unexpected-opcode.pkl.gz", bad)


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--full":
        write(Path(sys.argv[2]).resolve(), Py2Pickler().dump(splits(full=True)))
    else:
        main()
