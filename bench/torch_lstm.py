#!/usr/bin/python3
"""PyTorch twin of dev.kiln.bench.LstmClassifierBench: the tutorial LSTM text classifier (issue 5).

Embedding(10000, 16) -> LSTM(16, 128, batch_first) -> last hidden state -> Linear(128, 1) -> sigmoid, BCELoss,
Adam(lr=1e-3, eps=1e-7) with clip_grad_norm_(1.0) (as the Kiln side and examples/SpamClassifier.java), sequences
of 100 token ids, batch 128, on synthetic data: seeded uniform ids in [1, 10000), random 0/1 labels (the step's
cost does not depend on the text). A new shuffle each epoch, the running loss and accuracy read back every step as
Kiln's fit does. Prints "RESULT torch lstm_train_b128 samples_per_s=...".

    /usr/bin/python3 bench/torch_lstm.py --threads 2 [--batch 128] [--seq 100]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_mlp import info, result, rss_mb  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--seq", type=int, default=100)
    p.add_argument("--samples", type=int, default=5120)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--max-seconds", type=float, default=25.0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--seed", type=int, default=42)
    return p.parse_args()


def main():
    args = parse_args()
    if args.threads is not None:
        os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import torch
    from torch import nn

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    info(f"torch={torch.__version__} threads={torch.get_num_threads()} "
         f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')} OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '-')}")
    gen = torch.Generator().manual_seed(args.seed)
    X = torch.randint(1, 10000, (args.samples, args.seq), generator=gen)
    Y = torch.randint(0, 2, (args.samples,), generator=gen).float()
    info(f"data=synthetic ids in [1,10000) samples={args.samples} seq={args.seq}")

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(10000, 16)
            self.lstm = nn.LSTM(16, 128, batch_first=True)
            self.head = nn.Linear(128, 1)

        def forward(self, x):
            _, (h, _) = self.lstm(self.embed(x))
            return torch.sigmoid(self.head(h[-1])).squeeze(1)

    model = Classifier()
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.BCELoss()
    batch, n = args.batch, args.samples
    steps_per_epoch = (n + batch - 1) // batch
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
            p = model(xb)
            loss = loss_fn(p, yb)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            nb = yb.shape[0]
            loss_sum += loss.item() * nb
            correct += ((p > 0.5).float() == yb).sum().item()
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
    name = f"lstm_train_b{batch}"
    result(name, "samples_per_s", seen / seconds)
    result(name, "ms_per_step", seconds * 1e3 / timed_steps)
    info(f"{name} warmup_steps={warmup_steps} timed_steps={timed_steps} timed_s={seconds:.2f} capped={timed_steps < args.steps} "
         f"loss={loss_sum / max(1, epoch_seen):.4f} accuracy={correct / max(1, epoch_seen):.4f}")
    result("process", "peak_rss_mb", rss_mb())


if __name__ == "__main__":
    main()
