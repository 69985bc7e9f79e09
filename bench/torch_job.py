#!/usr/bin/python3
"""PyTorch twin of the README's main job, `./kiln train examples/fashion-mnist-mlp.yaml`, for bench/compare job.

The whole job as a user runs it, not a timed window: load Fashion-MNIST (train and test), build the Keras tutorial
MLP (Flatten -> Linear(784, 128) -> ReLU -> Linear(128, 10), PyTorch's default init), train --epochs epochs at batch
32 with Adam(lr=1e-3, eps=1e-7) on logits, a new shuffle each epoch, the running loss and accuracy read back every step
(as Kiln's progress line shows them), validate on the test set after each epoch in batches of 256 (as Kiln's
evaluate), stop early when val_loss has not improved for 2 epochs and restore the best weights (the example's
early_stopping callback), then evaluate on the test set and write the weights and the history into --output.
bench/compare times the process from outside (interpreter start and `import torch` included, as the JVM's start and
JIT warm-up are on Kiln's side) and reads the lines below, which follow Kiln's:

    Epoch 1/5 - 1875/1875 - 2.1s 1.12ms/step - loss: 0.5012 - accuracy: 0.8231 - val_loss: ... - val_accuracy: ...
    Test accuracy: 0.8731

Run with Debian's interpreter, which has python3-torch (1.13, CPU):
    /usr/bin/python3 bench/torch_job.py --threads 2 --output /tmp/job [--data DIR]
"""
import copy
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_common import find_data, info, read_split, start_torch  # noqa: E402


def parse_args():
    import argparse
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--patience", type=int, default=2, help="early stopping on val_loss, best weights restored")
    p.add_argument("--threads", type=int, default=None, help="as the other twins: torch.set_num_threads(N), "
                   "OMP_NUM_THREADS=N and OPENBLAS_NUM_THREADS=1 unless set")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--data", default=None, help="folder with the four Fashion-MNIST IDX .gz files")
    p.add_argument("--output", required=True, help="folder for model.pt and history.csv")
    return p.parse_args()


def evaluate(model, X, Y, loss_fn, torch):
    """Mean loss and accuracy over (X, Y) in batches of 256, without gradients (Kiln's Model.evaluate)."""
    model.eval()
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, X.shape[0], 256):
            logits = model(X[i:i + 256])
            yb = Y[i:i + 256]
            loss_sum += loss_fn(logits, yb).item() * yb.shape[0]
            correct += (logits.argmax(1) == yb).sum().item()
    model.train()
    return loss_sum / X.shape[0], correct / X.shape[0]


def main():
    args = parse_args()
    torch = start_torch(args, numpy=True)
    from torch import nn

    folder = find_data(args.data)
    X, Y = read_split(folder, "train", torch)
    Xt, Yt = read_split(folder, "t10k", torch)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)
    n = X.shape[0]
    steps = (n + args.batch - 1) // args.batch
    best, best_state, waited, history = float("inf"), None, 0, []
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        loss_sum, correct = 0.0, 0
        for i in range(steps):
            idx = perm[i * args.batch:(i + 1) * args.batch]
            xb, yb = X.index_select(0, idx), Y.index_select(0, idx)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            loss_sum += loss.item() * yb.shape[0]
            correct += (logits.argmax(1) == yb).sum().item()
        seconds = time.perf_counter() - t0
        val_loss, val_acc = evaluate(model, Xt, Yt, loss_fn, torch)
        history.append((epoch + 1, loss_sum / n, correct / n, val_loss, val_acc))
        print(f"Epoch {epoch + 1}/{args.epochs} - {steps}/{steps} - {seconds:.1f}s {seconds * 1e3 / steps:.2f}ms/step"
              f" - loss: {loss_sum / n:.4f} - accuracy: {correct / n:.4f} - val_loss: {val_loss:.4f}"
              f" - val_accuracy: {val_acc:.4f}", flush=True)
        if val_loss < best:
            best, best_state, waited = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited >= args.patience:
                break
    model.load_state_dict(best_state)
    test_loss, test_acc = evaluate(model, Xt, Yt, loss_fn, torch)
    print(f"Test loss: {test_loss:.4f}\nTest accuracy: {test_acc:.4f}")
    os.makedirs(args.output, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.output, "model.pt"))
    with open(os.path.join(args.output, "history.csv"), "w") as f:
        f.write("epoch,loss,accuracy,val_loss,val_accuracy\n")
        for row in history:
            f.write(",".join(str(v) for v in row) + "\n")
    info(f"job data={folder} epochs_run={len(history)}")


if __name__ == "__main__":
    main()
