"""The lesson 04 final stage in PyTorch: the oracle that `backprop train` is compared with.

Trains what the course's notebook 04 trains (nn.Sequential 784-50-10, cross-entropy, optim.SGD lr 0.5, a shuffled
DataLoader with bs 50, validation with bs 100) on the first 50,000 training images, validates on the last 10,000, and
prints one JSON object per epoch in the format of `backprop train --metrics`: epoch (from 1), train_loss (the mean
of the batch losses), valid_loss and valid_accuracy (weighted by batch size), at full precision, and seconds.

    python3 lesson04_fit.py DATA_DIR [--seed 1] [--epochs 5] [--dump FILE [--steps 100]]

--dump writes what the draws and the first steps made, as JSON: `init`, the parameters as initialised (name -> flat
list); `orders`, each epoch's order of training indices; `after_steps`, the parameters after the first --steps steps.

DATA_DIR holds the IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz). Needs torch and numpy
(Debian: apt-get install python3-torch). One intra-op thread, as `backprop train` uses by default.
"""
import argparse
import gzip
import json
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader


def read_idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack('>' + 'I' * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


class Dataset():
    """The lesson's Dataset, whose items also carry their index (collated like the rest; it draws nothing)."""
    def __init__(self, x, y): self.x, self.y = x, y
    def __len__(self): return len(self.x)
    def __getitem__(self, i): return self.x[i], self.y[i], i


def params(model): return {name: p.detach().flatten().tolist() for name, p in model.named_parameters()}


def accuracy(out, yb): return (out.argmax(dim=1) == yb).float().mean()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('data')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--epochs', type=int, default=5)
    p.add_argument('--dump')
    p.add_argument('--steps', type=int, default=100)
    args = p.parse_args()
    torch.set_num_threads(1)

    x = read_idx(f'{args.data}/train-images-idx3-ubyte.gz').reshape(60000, 784).astype(np.float32) / 256
    y = read_idx(f'{args.data}/train-labels-idx1-ubyte.gz').astype(np.int64)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    train_ds, valid_ds = Dataset(x[:50000], y[:50000]), Dataset(x[50000:], y[50000:])

    torch.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10))
    opt = optim.SGD(model.parameters(), lr=0.5)
    dump = {'init': params(model), 'orders': []}
    train_dl = DataLoader(train_ds, batch_size=50, shuffle=True)
    valid_dl = DataLoader(valid_ds, batch_size=100)

    for epoch in range(args.epochs):
        start = time.perf_counter()
        model.train()
        total, batches, order = 0., 0, []
        for xb, yb, ib in train_dl:
            order += ib.tolist()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
            total += loss.item()
            batches += 1
            if epoch == 0 and batches == args.steps: dump['after_steps'] = params(model)
        model.eval()
        with torch.no_grad():
            tot_loss, tot_acc, count = 0., 0., 0
            for xb, yb, _ in valid_dl:
                pred = model(xb)
                n = len(xb)
                count += n
                tot_loss += F.cross_entropy(pred, yb).item() * n
                tot_acc += accuracy(pred, yb).item() * n
        dump['orders'].append(order)
        print(json.dumps({'epoch': epoch + 1, 'train_loss': total / batches,
                          'valid_loss': tot_loss / count, 'valid_accuracy': tot_acc / count,
                          'seconds': time.perf_counter() - start}), flush=True)
    if args.dump:
        with open(args.dump, 'w') as f:
            json.dump(dump, f)


if __name__ == '__main__':
    main()
