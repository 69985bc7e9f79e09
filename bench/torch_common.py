"""What the PyTorch twins (bench/torch_mlp.py, torch_cnn.py, torch_lstm.py, torch_gpt.py) share: the common flags,
thread setup, Fashion-MNIST loading, the shuffled warm-up/timed training loop, the inference timings and the
RESULT/INFO lines bench/compare parses.

Stdlib-only at import: the scripts parse their flags and set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS before numpy or
torch loads (start_torch does both in that order), so nothing here may import them at module level.
"""
import argparse
import gzip
import os
import subprocess
import sys
import time

# The help of --max-seconds where the cap applies to both windows (MLP, CNN, LSTM); the GPT caps only the timed one.
CAP_BOTH = ("time cap on the warm-up and, separately, on the timed window (fewer steps are then timed, and the INFO "
            "line says capped=True)")


def arg_parser(doc, *, batch, warmup, steps, max_seconds, batch_help=None, cap_help=CAP_BOTH):
    """An ArgumentParser with the script's docstring as description and the flags every twin takes: --batch,
    --warmup, --steps, --max-seconds (defaults per script), --threads and --seed 42. The script adds its own flags.
    --batch parses as its default's type: an int, or the MLP's comma-separated string of sizes."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=type(batch), default=batch, help=batch_help)
    p.add_argument("--warmup", type=int, default=warmup, help="untimed training steps first")
    p.add_argument("--steps", type=int, default=steps, help="timed training steps")
    p.add_argument("--max-seconds", type=float, default=max_seconds, help=cap_help)
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads(N); also sets OMP_NUM_THREADS=N and "
                   "OPENBLAS_NUM_THREADS=1 unless already set (default: PyTorch's own choice)")
    p.add_argument("--seed", type=int, default=42)
    return p


def add_mnist_args(p, *, infer_warmup, infer_iters, infer_seconds=3.0):
    """--data and the inference flags of the Fashion-MNIST twins (MLP, CNN)."""
    p.add_argument("--data", default=None, help="folder with the four Fashion-MNIST IDX .gz files "
                   "(default: where Debian's dataset-fashion-mnist put them, found with dpkg -L)")
    p.add_argument("--infer-warmup", type=int, default=infer_warmup)
    p.add_argument("--infer-iters", type=int, default=infer_iters)
    p.add_argument("--infer-seconds", type=float, default=infer_seconds)


def start_torch(args, *, numpy=False, interop=False):
    """Applies --threads, imports torch, seeds it with --seed and prints the INFO line with the thread settings;
    returns the torch module. numpy=True imports numpy first (the Fashion-MNIST twins always loaded it before torch,
    and both bring a BLAS: keep that order). interop=True adds interop=N to the INFO line (the MLP's, as before)."""
    if args.threads is not None:
        # Must be set before torch (and its OpenMP / OpenBLAS pools) loads.
        os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if numpy:
        import numpy  # noqa: F401
    import torch

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    pools = f"threads={torch.get_num_threads()} "
    if interop:
        pools += f"interop={torch.get_num_interop_threads()} "
    info(f"torch={torch.__version__} {pools}"
         f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')} OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '-')}")
    return torch


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


def read_split(folder, prefix, torch):
    """One split's IDX files ("train" or "t10k") as X (N, 28, 28) float32 in [0, 1] and Y (N,) int64."""
    import numpy as np
    images = read_idx(idx_file(folder, prefix + "-images-idx3-ubyte"))
    labels = read_idx(idx_file(folder, prefix + "-labels-idx1-ubyte"))
    return torch.from_numpy(images.astype(np.float32) / 255.0), torch.from_numpy(labels.astype(np.int64))


def load_fashion_mnist(data_arg, torch, *, rss_after_load=False):
    """The Fashion-MNIST training set as X (N, 28, 28) float32 in [0, 1] and Y (N,) int64, and its INFO line
    (rss_after_load=True appends the resident set after loading, as the MLP's line has)."""
    t0 = time.perf_counter()
    folder = find_data(data_arg)
    X, Y = read_split(folder, "train", torch)
    n = X.shape[0]
    line = f"data=fashion-mnist {'full' if n == 60000 else 'partial'} ({folder}) train={n} load_s={time.perf_counter() - t0:.2f}"
    if rss_after_load:
        line += f" rss_after_load_mb={rss_mb('VmRSS:'):.1f}"
    info(line)
    return X, Y


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


def peak_rss():
    """The last line of every twin: the process's peak resident set."""
    result("process", "peak_rss_mb", rss_mb())


def adam_cross_entropy_step(model, torch, nn):
    """One training step of the Fashion-MNIST classifiers (Adam(lr=1e-3, eps=1e-7, Keras's epsilon),
    CrossEntropyLoss on logits) as train_loop wants it: (loss, correct) of the batch as Python numbers."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    def step(xb, yb):
        logits = model(xb)                                             # (B, 10)
        loss = loss_fn(logits, yb)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item(), (logits.argmax(1) == yb).sum().item()
    return step


def train_loop(name, X, Y, batch, step, gen, args, torch, timed):
    """Kiln's fit, timed: a new shuffle (from gen) each epoch, batches of `batch` rows of X and Y handed to
    step(xb, yb) -> (loss, correct), the running loss and accuracy read back every step; --warmup untimed steps, then
    `timed` timed ones, each window capped at --max-seconds. Prints NAME's samples_per_s and ms_per_step RESULT lines
    and its INFO line."""
    n = X.shape[0]
    steps_per_epoch = (n + batch - 1) // batch
    cap = args.max_seconds
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
            loss, ok = step(xb, yb)
            nb = yb.shape[0]
            loss_sum += loss * nb                                      # as Kiln's fit: running loss and accuracy
            correct += ok
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
    result(name, "samples_per_s", seen / seconds)
    result(name, "ms_per_step", seconds * 1e3 / timed_steps)
    info(f"{name} warmup_steps={warmup_steps} timed_steps={timed_steps} timed_s={seconds:.2f} capped={timed_steps < timed} "
         f"loss={loss_sum / max(1, epoch_seen):.4f} accuracy={correct / max(1, epoch_seen):.4f}")


def infer(prefix, model, X, args, torch):
    """Under torch.no_grad(): single-sample latency (--infer-warmup untimed calls, then --infer-iters timed; p50 and
    p99 as PREFIX_infer_b1) and batch-256 throughput (30% of --infer-seconds untimed, then --infer-seconds timed;
    PREFIX_infer_b256)."""
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
        result(f"{prefix}_infer_b1", "p50_us", lat[len(lat) // 2] / 1e3)
        result(f"{prefix}_infer_b1", "p99_us", lat[int(len(lat) * 0.99)] / 1e3)

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
        result(f"{prefix}_infer_b256", "samples_per_s", samples / (time.perf_counter() - t0))
