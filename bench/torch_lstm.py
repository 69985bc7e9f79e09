#!/usr/bin/python3
"""PyTorch twin of dev.kiln.bench.LstmClassifierBench: the tutorial LSTM text classifier (issue 5).

Embedding(10000, 16) -> LSTM(16, 128, batch_first) -> last hidden state -> Linear(128, 1) -> sigmoid, BCELoss,
Adam(lr=1e-3, eps=1e-7) with clip_grad_norm_(1.0) (as the Kiln side and examples/SpamClassifier.java), sequences
of 100 token ids, batch 128, on synthetic data: seeded uniform ids in [1, 10000), random 0/1 labels (the step's
cost does not depend on the text). A new shuffle each epoch, the running loss and accuracy read back every step as
Kiln's fit does. Prints "RESULT torch lstm_train_b128 samples_per_s=...".

    /usr/bin/python3 bench/torch_lstm.py --threads 2 [--batch 128] [--seq 100]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # torch_common.py sits beside this script
from torch_common import arg_parser, info, peak_rss, start_torch, train_loop  # noqa: E402


def parse_args():
    p = arg_parser(__doc__, batch=128, warmup=10, steps=400, max_seconds=25.0)
    p.add_argument("--seq", type=int, default=100)
    p.add_argument("--samples", type=int, default=5120)
    return p.parse_args()


def main():
    args = parse_args()
    torch = start_torch(args)
    from torch import nn

    # One generator makes the data and then the shuffles (train_loop draws from it): --seed fixes the whole run.
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

    def step(xb, yb):
        p = model(xb)
        loss = loss_fn(p, yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item(), ((p > 0.5).float() == yb).sum().item()

    train_loop(f"lstm_train_b{args.batch}", X, Y, args.batch, step, gen, args, torch, args.steps)
    peak_rss()


if __name__ == "__main__":
    main()
