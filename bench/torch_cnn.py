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
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_mlp import find_data, idx_file, info, read_idx, result, rss_mb  # noqa: E402  (stdlib-only at import)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--warmup", type=int, default=60)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--max-seconds", type=float, default=25.0)
    p.add_argument("--data", default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--infer-warmup", type=int, default=300)
    p.add_argument("--infer-iters", type=int, default=1000)
    p.add_argument("--infer-seconds", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--batchnorm", action="store_true",
                   help="each convolution as Conv2d -> BatchNorm2d (Keras's momentum 0.99 = torch's 0.01, eps 1e-3) -> ReLU")
    return p.parse_args()


def main():
    args = parse_args()
    if args.threads is not None:
        os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import numpy as np
    import torch
    from torch import nn

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    info(f"torch={torch.__version__} threads={torch.get_num_threads()} "
         f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')} OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '-')}")
    t0 = time.perf_counter()
    folder = find_data(args.data)
    X = torch.from_numpy(read_idx(idx_file(folder, "train-images-idx3-ubyte")).astype(np.float32) / 255.0)
    Y = torch.from_numpy(read_idx(idx_file(folder, "train-labels-idx1-ubyte")).astype(np.int64))
    info(f"data=fashion-mnist {'full' if X.shape[0] == 60000 else 'partial'} ({folder}) train={X.shape[0]} "
         f"load_s={time.perf_counter() - t0:.2f}")

    def block(cin, cout):
        if not args.batchnorm:
            return [nn.Conv2d(cin, cout, 3), nn.ReLU()]
        return [nn.Conv2d(cin, cout, 3), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.ReLU()]

    model = nn.Sequential(nn.Unflatten(1, (1, 28)),                    # (B, 28, 28) -> (B, 1, 28, 28)
                          *block(1, 32), nn.MaxPool2d(2),
                          *block(32, 64), nn.MaxPool2d(2),
                          *block(64, 64),
                          nn.Flatten(), nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10))
    train(model, X, Y, args, torch, nn)
    infer(model, X, args, torch)
    result("process", "peak_rss_mb", rss_mb())


def train(model, X, Y, args, torch, nn):
    model.train()
    batch = args.batch
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    n = X.shape[0]
    steps_per_epoch = (n + batch - 1) // batch
    gen = torch.Generator().manual_seed(args.seed)
    warmup_steps = timed_steps = seen = 0
    timing = args.warmup == 0
    t_train = t_start = time.perf_counter()
    seconds = None
    while seconds is None:
        perm = torch.randperm(n, generator=gen)
        loss_sum, correct, epoch_seen = 0.0, 0, 0
        for i in range(steps_per_epoch):
            idx = perm[i * batch:(i + 1) * batch]
            xb = X.index_select(0, idx)
            yb = Y.index_select(0, idx)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            nb = yb.shape[0]
            loss_sum += loss.item() * nb
            correct += (logits.argmax(1) == yb).sum().item()
            epoch_seen += nb
            now = time.perf_counter()
            if not timing:
                warmup_steps += 1
                if warmup_steps >= args.warmup or now - t_train > args.max_seconds:
                    timing = True
                    t_start = time.perf_counter()
                continue
            timed_steps += 1
            seen += nb
            if timed_steps == args.steps or now - t_start > args.max_seconds:
                seconds = now - t_start
                break
    name = f"cnn_train_b{batch}"
    result(name, "samples_per_s", seen / seconds)
    result(name, "ms_per_step", seconds * 1e3 / timed_steps)
    info(f"{name} warmup_steps={warmup_steps} timed_steps={timed_steps} timed_s={seconds:.2f} capped={timed_steps < args.steps} "
         f"loss={loss_sum / max(1, epoch_seen):.4f} accuracy={correct / max(1, epoch_seen):.4f}")


def infer(model, X, args, torch):
    model.eval()
    n = min(256, X.shape[0])
    singles = [X[i:i + 1].clone() for i in range(n)]
    with torch.no_grad():
        for i in range(args.infer_warmup):
            model(singles[i % n])
        lat = []
        for i in range(args.infer_iters):
            t = time.perf_counter_ns()
            model(singles[i % n])
            lat.append(time.perf_counter_ns() - t)
        lat.sort()
        result("cnn_infer_b1", "p50_us", lat[len(lat) // 2] / 1e3)
        result("cnn_infer_b1", "p99_us", lat[int(len(lat) * 0.99)] / 1e3)
        batches = max(1, min(8, X.shape[0] // 256))
        xs = [X[i * 256:(i + 1) * 256].clone() for i in range(batches)]
        deadline = time.perf_counter() + args.infer_seconds * 0.3
        i = 0
        while time.perf_counter() < deadline:
            model(xs[i % batches])
            i += 1
        samples = calls = 0
        t0 = time.perf_counter()
        end = t0 + args.infer_seconds
        while time.perf_counter() < end:
            x = xs[calls % batches]
            model(x)
            samples += x.shape[0]
            calls += 1
        result("cnn_infer_b256", "samples_per_s", samples / (time.perf_counter() - t0))


if __name__ == "__main__":
    main()
