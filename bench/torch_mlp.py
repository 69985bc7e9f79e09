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
import argparse
import gzip
import os
import subprocess
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", default="32,128", help="training batch sizes, comma-separated (one fresh model each)")
    p.add_argument("--warmup", type=int, default=300, help="untimed training steps first")
    p.add_argument("--steps", type=int, default=1500, help="timed training steps")
    p.add_argument("--epoch", action="store_true", help="time one epoch's worth of steps instead of --steps")
    p.add_argument("--data", default=None, help="folder with the four Fashion-MNIST IDX .gz files "
                   "(default: where Debian's dataset-fashion-mnist put them, found with dpkg -L)")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads(N); also sets OMP_NUM_THREADS=N and "
                   "OPENBLAS_NUM_THREADS=1 unless already set (default: PyTorch's own choice)")
    p.add_argument("--max-seconds", type=float, default=60.0, help="time cap on the warm-up and, separately, on the "
                   "timed window (fewer steps are then timed, and the INFO line says capped=True)")
    p.add_argument("--infer-warmup", type=int, default=2000)
    p.add_argument("--infer-iters", type=int, default=5000)
    p.add_argument("--infer-seconds", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=42)
    return p.parse_args()


def find_data(arg):
    if arg:
        return arg
    default = "/usr/share/datasets/fashion-mnist"
    try:
        out = subprocess.run(["dpkg", "-L", "dataset-fashion-mnist"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.endswith("train-images-idx3-ubyte.gz"):
                return os.path.dirname(line)
    except (OSError, subprocess.CalledProcessError):
        pass
    if os.path.isdir(default):
        return default
    sys.exit("Fashion-MNIST not found: apt-get install dataset-fashion-mnist, or pass --data DIR "
             "(a folder holding train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz)")


def read_idx(path):
    """An IDX file (gzip or not) as a numpy array."""
    import numpy as np
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file")
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def idx_file(folder, name):
    for cand in (name + ".gz", name):
        p = os.path.join(folder, cand)
        if os.path.isfile(p):
            return p
    sys.exit(f"{folder} has no {name}[.gz]")


def rss_mb(field="VmHWM:"):
    """A /proc/self/status field in MB: VmHWM is the peak resident set, VmRSS the current one."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def result(bench, key, value):
    print(f"RESULT torch {bench} {key}={value:.1f}", flush=True)


def info(text):
    print(f"INFO torch {text}", flush=True)


def main():
    args = parse_args()
    if args.threads is not None:
        # Must be set before torch (and its OpenMP / OpenBLAS pools) loads.
        os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import numpy as np
    import torch
    from torch import nn

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    info(f"torch={torch.__version__} threads={torch.get_num_threads()} interop={torch.get_num_interop_threads()} "
         f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')} OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '-')}")

    t0 = time.perf_counter()
    folder = find_data(args.data)
    images = read_idx(idx_file(folder, "train-images-idx3-ubyte"))
    labels = read_idx(idx_file(folder, "train-labels-idx1-ubyte"))
    X = torch.from_numpy(images.astype(np.float32) / 255.0)         # (N, 28, 28)
    Y = torch.from_numpy(labels.astype(np.int64))                     # (N,)
    n = X.shape[0]
    info(f"data=fashion-mnist {'full' if n == 60000 else 'partial'} ({folder}) train={n} load_s={time.perf_counter() - t0:.2f} "
         f"rss_after_load_mb={rss_mb('VmRSS:'):.1f}")

    model = None
    for batch in [int(b) for b in args.batch.split(",")]:
        model = train(X, Y, batch, args, torch, nn)
    infer(model, X, args, torch)
    result("process", "peak_rss_mb", rss_mb())


def new_model(nn):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def train(X, Y, batch, args, torch, nn):
    model = new_model(nn)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    n = X.shape[0]
    steps_per_epoch = (n + batch - 1) // batch
    timed = steps_per_epoch if args.epoch else args.steps
    gen = torch.Generator().manual_seed(args.seed)

    cap = args.max_seconds
    warmup_steps = 0
    timed_steps = 0
    seen = 0
    timing = args.warmup == 0
    t_train = time.perf_counter()
    t_start = t_train
    seconds = None
    while seconds is None:
        perm = torch.randperm(n, generator=gen)
        loss_sum, correct, epoch_seen = 0.0, 0, 0
        for i in range(steps_per_epoch):
            idx = perm[i * batch:(i + 1) * batch]
            xb = X.index_select(0, idx)                                # (B, 28, 28)
            yb = Y.index_select(0, idx)
            logits = model(xb)                                         # (B, 10)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            nb = yb.shape[0]
            loss_sum += loss.item() * nb                               # as Kiln's fit: running loss and accuracy
            correct += (logits.argmax(1) == yb).sum().item()
            epoch_seen += nb
            now = time.perf_counter()
            if not timing:
                warmup_steps += 1
                if warmup_steps >= args.warmup or now - t_train > cap:
                    timing = True
                    t_start = time.perf_counter()
                continue
            timed_steps += 1
            seen += nb
            if timed_steps == timed or now - t_start > cap:
                seconds = now - t_start
                break
    name = f"mlp_train_b{batch}"
    result(name, "samples_per_s", seen / seconds)
    result(name, "ms_per_step", seconds * 1e3 / timed_steps)
    info(f"{name} warmup_steps={warmup_steps} timed_steps={timed_steps} timed_s={seconds:.2f} capped={timed_steps < timed} "
         f"loss={loss_sum / max(1, epoch_seen):.4f} accuracy={correct / max(1, epoch_seen):.4f}")
    return model


def infer(model, X, args, torch):
    model.eval()
    n = min(256, X.shape[0])
    singles = [X[i:i + 1].clone() for i in range(n)]                  # (1, 28, 28) each
    with torch.no_grad():
        for i in range(args.infer_warmup):
            model(singles[i % n])
        lat = []
        for i in range(args.infer_iters):
            t = time.perf_counter_ns()
            model(singles[i % n])
            lat.append(time.perf_counter_ns() - t)
        lat.sort()
        result("mlp_infer_b1", "p50_us", lat[len(lat) // 2] / 1e3)
        result("mlp_infer_b1", "p99_us", lat[int(len(lat) * 0.99)] / 1e3)

        batches = max(1, min(8, X.shape[0] // 256))
        xs = [X[i * 256:(i + 1) * 256].clone() for i in range(batches)]
        deadline = time.perf_counter() + args.infer_seconds * 0.3
        i = 0
        while time.perf_counter() < deadline:
            model(xs[i % batches])
            i += 1
        samples = 0
        calls = 0
        t0 = time.perf_counter()
        end = t0 + args.infer_seconds
        while time.perf_counter() < end:
            x = xs[calls % batches]
            model(x)
            samples += x.shape[0]
            calls += 1
        result("mlp_infer_b256", "samples_per_s", samples / (time.perf_counter() - t0))


if __name__ == "__main__":
    main()
