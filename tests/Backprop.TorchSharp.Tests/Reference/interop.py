"""PyTorch's side of `backprop export` and of `backprop evaluate FILE.pt`: the oracle the interop tests compare with.

    python3 interop.py logits DATA_DIR MODEL.pt OUT.bin --hidden 100,50 [--safetensors FILE] [--onnx FILE]
        torch.load + a strict load_state_dict into nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 50),
        nn.ReLU(), nn.Linear(50, 10)) (--hidden 50: the lesson's model), the test split's logits (10000, 10) written as
        raw float32; --safetensors: that file parsed by its specification (8-byte header length, JSON header, raw data)
        must hold the .pt's tensors bit for bit; --onnx: onnx.checker.check_model(full_check=True) must pass.
        Prints a JSON object saying what was checked, with the model it built and its test accuracy.
    python3 interop.py train DATA_DIR OUT.pt [--hidden 30] [--epochs 1] [--seed 1]
        trains that model (SGD lr 0.5, bs 50, shuffled) on the first 50,000 training images, saves its
        state_dict with torch.save, prints {"test_acc": ...} over t10k.

DATA_DIR holds the IDX files. Needs torch and numpy (Debian: python3-torch); --onnx needs onnx (python3-onnx).
"""
import argparse
import json
import struct

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

from lesson04_fit import read_idx


def split(data, name, n):
    x = read_idx(f'{data}/{name}-images-idx3-ubyte.gz').reshape(n, 784).astype(np.float32) / 256
    y = read_idx(f'{data}/{name}-labels-idx1-ubyte.gz').astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def mlp(hidden):
    """nn.Sequential(nn.Linear(784, h1), nn.ReLU(), ..., nn.Linear(hL, 10)): the lesson's model for one width."""
    sizes = [784, *hidden, 10]
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        if i: layers.append(nn.ReLU())
        layers.append(nn.Linear(a, b))
    return nn.Sequential(*layers)


def widths(text): return [int(w) for w in text.split(',')]


def read_safetensors(path):
    with open(path, 'rb') as f: raw = f.read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    dtypes = {'F32': np.float32}
    out = {}
    for name, e in header.items():
        if name == '__metadata__': continue
        a, b = e['data_offsets']
        out[name] = np.frombuffer(data[a:b], dtypes[e['dtype']]).reshape(e['shape'])
    return out


def logits(args):
    sd = torch.load(args.model)
    model = mlp(args.hidden)
    model.load_state_dict(sd)  # strict: exactly this model's keys and shapes
    model.eval()
    x, y = split(args.data, 't10k', 10000)
    with torch.no_grad(): out = model(x)
    out.numpy().astype('<f4').tofile(args.out)
    report = {'model': repr(model).replace('\n', ''), 'keys': list(sd.keys()), 'shapes': [list(v.shape) for v in sd.values()],
              'test_acc': (out.argmax(1) == y).sum().item() / len(y)}
    if args.safetensors:
        st = read_safetensors(args.safetensors)
        assert list(st.keys()) == list(sd.keys()), (list(st.keys()), list(sd.keys()))
        for k, v in sd.items(): assert np.array_equal(st[k], v.numpy()), k
        report['safetensors_equal'] = True
    if args.onnx:
        import onnx
        onnx.checker.check_model(onnx.load(args.onnx), full_check=True)
        report['onnx_checked'] = onnx.__version__
    print(json.dumps(report))


def train(args):
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    x, y = split(args.data, 'train', 60000)
    model = mlp(args.hidden)
    opt = optim.SGD(model.parameters(), lr=0.5)
    for _ in range(args.epochs):
        for xb, yb in DataLoader(TensorDataset(x[:50000], y[:50000]), batch_size=50, shuffle=True):
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
            opt.zero_grad()
    torch.save(model.state_dict(), args.out)
    xt, yt = split(args.data, 't10k', 10000)
    with torch.no_grad(): acc = (model(xt).argmax(1) == yt).sum().item() / len(yt)
    print(json.dumps({'test_acc': acc}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='cmd', required=True)
    lg = sub.add_parser('logits')
    lg.add_argument('data'); lg.add_argument('model'); lg.add_argument('out')
    lg.add_argument('--hidden', type=widths, required=True); lg.add_argument('--safetensors'); lg.add_argument('--onnx')
    tr = sub.add_parser('train')
    tr.add_argument('data'); tr.add_argument('out')
    tr.add_argument('--hidden', type=widths, default=[30]); tr.add_argument('--epochs', type=int, default=1); tr.add_argument('--seed', type=int, default=1)
    args = p.parse_args()
    (logits if args.cmd == 'logits' else train)(args)


if __name__ == '__main__':
    main()
