#!/usr/bin/python3
"""PyTorch twin of dev.kiln.bench.CnnBench: the tutorial CNN (issue 4) on Fashion-MNIST.

Same model, channels-first as PyTorch wants it: (B, 28, 28) -> unsqueeze to (B, 1, 28, 28) -> Conv2d(1, 32, 3)
-> ReLU -> MaxPool2d(2) -> Conv2d(32, 64, 3) -> ReLU -> MaxPool2d(2) -> Conv2d(64, 64, 3) -> ReLU -> Flatten
(576) -> Linear(576, 64) -> ReLU -> Linear(64, 10); PyTorch's default init; Adam(lr=1e-3, eps=1e-7);
CrossEntropyLoss on logits; a new shuffle each epoch; the running loss and accuracy read back every step as
Kiln's fit does. --warmup untimed steps, then --steps timed (each window capped at --max-seconds); then
single-image inference p50 and batch-256 inference throughput under torch.no_grad(). Prints
"RESULT torch cnn_train_b64 samples_per_s=..." etc., the same lines as the Java side.

    /usr/bin/python3 bench/torch_cnn.py --threads 2 [--batch 64] [--data DIR]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # torch_common.py sits beside this script
from torch_common import (add_mnist_args, adam_cross_entropy_step, arg_parser, infer,  # noqa: E402
                          load_fashion_mnist, peak_rss, start_torch, train_loop)


def parse_args():
    p = arg_parser(__doc__, batch=64, warmup=60, steps=2000, max_seconds=25.0)
    add_mnist_args(p, infer_warmup=300, infer_iters=1000)
    p.add_argument("--batchnorm", action="store_true",
                   help="each convolution as Conv2d -> BatchNorm2d (Keras's momentum 0.99 = torch's 0.01, eps 1e-3) -> ReLU")
    return p.parse_args()


def main():
    args = parse_args()
    torch = start_torch(args, numpy=True)
    from torch import nn

    X, Y = load_fashion_mnist(args.data, torch)

    def block(cin, cout):
        if not args.batchnorm:
            return [nn.Conv2d(cin, cout, 3), nn.ReLU()]
        return [nn.Conv2d(cin, cout, 3), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.ReLU()]

    model = nn.Sequential(nn.Unflatten(1, (1, 28)),                    # (B, 28, 28) -> (B, 1, 28, 28)
                          *block(1, 32), nn.MaxPool2d(2),
                          *block(32, 64), nn.MaxPool2d(2),
                          *block(64, 64),
                          nn.Flatten(), nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10))
    model.train()
    gen = torch.Generator().manual_seed(args.seed)
    train_loop(f"cnn_train_b{args.batch}", X, Y, args.batch, adam_cross_entropy_step(model, torch, nn), gen, args, torch,
               args.steps)
    infer("cnn", model, X, args, torch)
    peak_rss()


if __name__ == "__main__":
    main()
