#!/usr/bin/python3
"""PyTorch twin of dev.kiln.bench.GptBench: the character-level GPT of issue 5 (examples/CharGpt.java).

Same shape as Kiln's Gpt.build(GptConfig.small(vocab)): token Embedding(V, 128) + learned positions (128, 128),
4 pre-norm blocks (LayerNorm -> causal 4-head self-attention with a fused qkv Linear(128, 384) and an output
Linear(128, 128), residual; LayerNorm -> Linear(128, 512) -> GELU(tanh) -> Linear(512, 128), residual), a final
LayerNorm (eps 1e-5) and Linear(128, V); no dropout. AdamW(lr=1e-3, weight_decay=0.01, eps=1e-7) on every
parameter, clip_grad_norm_(1.0), batch 32 random windows of 128 characters from the corpus Kiln ships
(kiln-data/src/main/resources/dev/kiln/data/text/pride-and-prejudice.txt), ids as Kiln's CharTokenizer gives
them (distinct code points in ascending order from 2; 0 padding, 1 unknown). PyTorch's default init (Kiln's
differs, so the first losses differ; the loss after the same number of steps is what to compare). torch 1.13 has
no fused scaled_dot_product_attention: attention is written out (matmul, mask, softmax, matmul).
Prints "RESULT torch gpt_train_b32 tokens_per_s=..." and an INFO line with the losses.

    /usr/bin/python3 bench/torch_gpt.py --threads 2 [--batch 32] [--warmup 5] [--steps 60] [--max-seconds 40]
"""
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # torch_common.py sits beside this script
from torch_common import arg_parser, info, peak_rss, result, start_torch  # noqa: E402

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kiln-data", "src", "main", "resources",
                      "dev", "kiln", "data", "text", "pride-and-prejudice.txt")


def parse_args():
    p = arg_parser(__doc__, batch=32, warmup=5, steps=60, max_seconds=40.0,
                   cap_help="time cap on the timed window (fewer steps are then timed, and the INFO line says capped=True)")
    p.add_argument("--loss-step", type=int, default=20, help="also report the mean loss of steps N-4..N (warm-up steps count)")
    p.add_argument("--corpus", default=CORPUS)
    return p.parse_args()


def main():
    args = parse_args()
    torch = start_torch(args)
    from torch import nn
    import torch.nn.functional as F

    with open(args.corpus, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    vocab = len(chars) + 2
    index = {c: i + 2 for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    T, D, H, L = 128, 128, 4, 4
    info(f"data=corpus pride-and-prejudice tokens={ids.shape[0]} vocab={vocab} layers={L} heads={H} d_model={D} context={T}")

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(D, eps=1e-5)
            self.qkv = nn.Linear(D, 3 * D)
            self.proj = nn.Linear(D, D)
            self.ln2 = nn.LayerNorm(D, eps=1e-5)
            self.fc = nn.Linear(D, 4 * D)
            self.out = nn.Linear(4 * D, D)
            self.register_buffer("mask", torch.triu(torch.full((T, T), float("-inf")), diagonal=1))

        def forward(self, x):
            B, t, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
            q = q.view(B, t, H, D // H).transpose(1, 2)                 # (B, H, T, d)
            k = k.view(B, t, H, D // H).transpose(1, 2)
            v = v.view(B, t, H, D // H).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D // H)) + self.mask[:t, :t]
            y = (F.softmax(att, dim=-1) @ v).transpose(1, 2).reshape(B, t, D)
            x = x + self.proj(y)
            return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))

    class Gpt(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, D)
            self.pos = nn.Parameter(torch.zeros(T, D).normal_(0, 0.02))
            self.blocks = nn.Sequential(*[Block() for _ in range(L)])
            self.ln = nn.LayerNorm(D, eps=1e-5)
            self.head = nn.Linear(D, vocab)

        def forward(self, x):
            return self.head(self.ln(self.blocks(self.tok(x) + self.pos[:x.shape[1]])))

    model = Gpt()
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01, eps=1e-7)
    gen = torch.Generator().manual_seed(args.seed)
    n = ids.shape[0]
    offsets = torch.arange(T)

    def step():
        starts = torch.randint(0, n - T, (args.batch,), generator=gen)
        pos = starts[:, None] + offsets                                 # (B, T)
        x, y = ids[pos], ids[pos + 1]
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, vocab), y.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    first = last = float("nan")
    losses = []
    for s in range(args.warmup):
        loss = step()
        losses.append(loss)
        if s == 0:
            first = loss
    recent = []
    timed = 0
    t0 = now = time.perf_counter()
    while timed < args.steps and now - t0 <= args.max_seconds:
        last = step()
        losses.append(last)
        if args.warmup == 0 and timed == 0:
            first = last
        recent = (recent + [last])[-10:]
        timed += 1
        now = time.perf_counter()
    seconds = now - t0
    name = f"gpt_train_b{args.batch}"
    result(name, "tokens_per_s", timed * args.batch * T / seconds)
    result(name, "ms_per_step", seconds * 1e3 / timed)
    info(f"{name} warmup_steps={args.warmup} timed_steps={timed} total_steps={args.warmup + timed} timed_s={seconds:.2f} "
         f"capped={timed < args.steps} loss_first={first:.4f} loss_last={last:.4f} loss_last10_mean={sum(recent) / len(recent):.4f}")
    k = args.loss_step
    if len(losses) >= k >= 5:
        info(f"{name} loss_at_step{k}={sum(losses[k - 5:k]) / 5:.4f} (mean of steps {k - 4}-{k})")
    else:
        info(f"{name} loss_at_step{k}=n/a (only {len(losses)} steps ran)")
    peak_rss()


if __name__ == "__main__":
    main()
