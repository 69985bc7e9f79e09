#!/usr/bin/python3
"""PyTorch twin of dev.kiln.bench.MlpTrainingBench: the Keras tutorial MLP on Fashion-MNIST.

Same model (Flatten -> Linear(784, 128) -> ReLU -> Linear(128, 10), PyTorch's default init), Adam(lr=1e-3,
eps=1e-7, Keras's epsilon), CrossEntropyLoss on logits, a new shuffle each epoch, the running loss and accuracy
read back every step as Kiln's fit does; same protocol: --warmup untimed steps, then --steps timed (or one
epoch's worth with --epoch); then single-sample inference p50 and batch-256 inference throughput under
torch.no_grad(). Prints the same lines as the Java side, with "torch" for "kiln":

    RESULT torch mlp_train_b32 samples_per_s=12345.6

Run with Debian's interpreter, which has python3-torch (1.13, CPU):
    /usr/bin/python3 bench/torch_mlp.py --threads 2 --batch 32,128 [--data DIR]
"""
import os
import sys

# What the four twins share lives beside them in torch_common.py (stdlib-only at import, so --threads still acts
# before torch loads); the script's own folder on sys.path finds it however the script is started.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_common import (add_mnist_args, adam_cross_entropy_step, arg_parser, infer,  # noqa: E402
                          load_fashion_mnist, peak_rss, start_torch, train_loop)


def parse_args():
    p = arg_parser(__doc__, batch="32,128", batch_help="training batch sizes, comma-separated (one fresh model each)",
                   warmup=300, steps=1500, max_seconds=60.0)
    p.add_argument("--epoch", action="store_true", help="time one epoch's worth of steps instead of --steps")
    add_mnist_args(p, infer_warmup=2000, infer_iters=5000)
    return p.parse_args()


def main():
    args = parse_args()
    torch = start_torch(args, numpy=True, interop=True)
    from torch import nn

    X, Y = load_fashion_mnist(args.data, torch, rss_after_load=True)
    model = None
    for batch in [int(b) for b in args.batch.split(",")]:
        model = train(X, Y, batch, args, torch, nn)
    infer("mlp", model, X, args, torch)
    peak_rss()


def new_model(nn):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def train(X, Y, batch, args, torch, nn):
    model = new_model(nn)
    model.train()
    timed = (X.shape[0] + batch - 1) // batch if args.epoch else args.steps
    gen = torch.Generator().manual_seed(args.seed)
    train_loop(f"mlp_train_b{batch}", X, Y, batch, adam_cross_entropy_step(model, torch, nn), gen, args, torch, timed)
    return model


if __name__ == "__main__":
    main()
