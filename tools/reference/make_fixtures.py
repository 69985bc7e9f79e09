#!/usr/bin/python3
"""Generate PyTorch reference fixtures for Kiln's tests.

Run with Debian's Python (which has python3-torch):

    /usr/bin/python3 tools/reference/make_fixtures.py

Writes small JSON files into kiln-nn/src/test/resources/reference/.
Every file has the shape
    {"name", "description", "torch_version", "meta": {...},
     "tensors": {"<name>": {"shape": [...], "data": [flat row-major floats]}}}

Conventions: Kiln follows Keras. A Dense layer has `kernel` of shape (in, out)
and `bias` (out,), y = x @ kernel + bias. PyTorch's nn.Linear stores weight as
(out, in), so we store kernel = weight.T (contiguous).
"""
import json
import os

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT_DIR = os.path.join(ROOT, "kiln-nn", "src", "test", "resources", "reference")


def _floats(t):
    t = t.detach().to(torch.float32).contiguous().reshape(-1)
    # repr of the float64 value of each float32 value: exact round-trip.
    return [float(v) for v in t.tolist()]


def entry(t):
    t = torch.as_tensor(t)
    if t.dtype != torch.float32:
        t = t.to(torch.float32)
    return {"shape": list(t.shape), "data": _floats(t)}


def write(name, description, meta, tensors):
    doc = {
        "name": name,
        "description": description,
        "torch_version": torch.__version__,
        "meta": meta,
        "tensors": {k: entry(v) for k, v in tensors.items()},
    }
    path = os.path.join(OUT_DIR, name + ".json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    size = os.path.getsize(path)
    assert size < 50_000, f"{path} is {size} bytes"
    print(f"wrote {os.path.relpath(path, ROOT)} ({size} bytes)")


def dense_case(name, activation, seed):
    torch.manual_seed(seed)
    while True:
        x = torch.randn(4, 6)
        kernel = torch.randn(6, 5) * 0.5
        bias = torch.randn(5) * 0.1
        pre = x @ kernel + bias
        if activation != "relu" or pre.abs().min().item() > 1e-3:
            break
    dy = torch.randn(4, 5)
    x.requires_grad_(True)
    kernel.requires_grad_(True)
    bias.requires_grad_(True)
    z = x @ kernel + bias
    y = torch.relu(z) if activation == "relu" else z
    (y * dy).sum().backward()
    write(
        name,
        f"Dense layer, activation={activation}: y = {activation}(x @ kernel + bias) "
        "with Keras layout kernel (in, out). dy is an upstream gradient; dx, dkernel, dbias "
        "are the gradients of sum(y * dy)."
        + (" No pre-activation lies within 1e-3 of zero." if activation == "relu" else ""),
        {"seed": seed, "activation": activation, "in": 6, "out": 5, "batch": 4},
        {
            "x": x, "kernel": kernel, "bias": bias, "y": y, "dy": dy,
            "dx": x.grad, "dkernel": kernel.grad, "dbias": bias.grad,
        },
    )


def softmax_xent(seed=3):
    torch.manual_seed(seed)
    logits = (torch.randn(5, 7) * 2).requires_grad_(True)
    labels = torch.randint(0, 7, (5,))
    probs = torch.softmax(logits, dim=-1)
    log_probs = torch.log_softmax(logits, dim=-1)
    loss = F.cross_entropy(logits, labels)
    (dlogits,) = torch.autograd.grad(loss, logits)
    onehot = F.one_hot(labels, 7).to(torch.float32)
    cat_loss = -(onehot * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()
    # F.cross_entropy with probability targets (torch >= 1.10) as a cross-check.
    cat_loss_torch = F.cross_entropy(logits, onehot)
    assert torch.allclose(cat_loss, cat_loss_torch)
    assert torch.allclose(cat_loss, loss)

    blogits = (torch.randn(6) * 2).requires_grad_(True)
    btargets = torch.tensor([0, 1, 1, 0, 1, 0], dtype=torch.float32)
    bce_loss = F.binary_cross_entropy_with_logits(blogits, btargets)
    (dblogits,) = torch.autograd.grad(bce_loss, blogits)
    bprobs = torch.sigmoid(blogits.detach()).requires_grad_(True)
    bce_prob_loss = F.binary_cross_entropy(bprobs, btargets)
    (dbprobs,) = torch.autograd.grad(bce_prob_loss, bprobs)
    write(
        "softmax_xent",
        "Softmax and cross-entropy. logits (5,7); labels (5,) are integer class ids stored "
        "as floats; probs = softmax(logits); log_softmax; loss = mean sparse categorical CE "
        "from logits (F.cross_entropy); dlogits = d loss / d logits. onehot (5,7) are the "
        "labels one-hot (floats); cat_loss = mean categorical CE with onehot targets (equals "
        "loss). Binary: blogits (6,), btargets (6,) in {0,1} stored as floats; bce_loss = mean "
        "F.binary_cross_entropy_with_logits, dblogits its gradient; bprobs = sigmoid(blogits), "
        "bce_prob_loss = mean F.binary_cross_entropy(bprobs, btargets), dbprobs its gradient "
        "wrt bprobs. Scalars have shape [].",
        {"seed": seed, "classes": 7, "batch": 5, "reduction": "mean"},
        {
            "logits": logits, "labels": labels, "probs": probs, "log_softmax": log_probs,
            "loss": loss, "dlogits": dlogits, "onehot": onehot, "cat_loss": cat_loss,
            "blogits": blogits, "btargets": btargets, "bce_loss": bce_loss,
            "dblogits": dblogits, "bprobs": bprobs, "bce_prob_loss": bce_prob_loss,
            "dbprobs": dbprobs,
        },
    )


def mse(seed=4):
    torch.manual_seed(seed)
    pred = torch.randn(4, 3).requires_grad_(True)
    target = torch.randn(4, 3)
    loss = F.mse_loss(pred, target)
    (dpred,) = torch.autograd.grad(loss, pred)
    mae_loss = F.l1_loss(pred, target)
    (dpred_mae,) = torch.autograd.grad(mae_loss, pred)
    assert (pred - target).abs().min().item() > 1e-3
    write(
        "mse",
        "Regression losses over all elements (mean reduction). loss = F.mse_loss(pred, target), "
        "dpred its gradient wrt pred; mae_loss = F.l1_loss(pred, target), dpred_mae its gradient. "
        "Scalars have shape [].",
        {"seed": seed, "reduction": "mean"},
        {"pred": pred, "target": target, "loss": loss, "dpred": dpred,
         "mae_loss": mae_loss, "dpred_mae": dpred_mae},
    )


def mlp_case(name, make_opt, opt_meta, opt_desc, seed=5, steps=3):
    torch.manual_seed(seed)
    l1 = torch.nn.Linear(6, 5)
    l2 = torch.nn.Linear(5, 3)
    x = torch.randn(8, 6)
    y = torch.randint(0, 3, (8,))
    params = [l1.weight, l1.bias, l2.weight, l2.bias]
    opt = make_opt(params)

    def snapshot(prefix):
        return {
            prefix + "dense_1.kernel": l1.weight.detach().t().contiguous().clone(),
            prefix + "dense_1.bias": l1.bias.detach().clone(),
            prefix + "dense_2.kernel": l2.weight.detach().t().contiguous().clone(),
            prefix + "dense_2.bias": l2.bias.detach().clone(),
        }

    tensors = {"x": x, "y": y}
    tensors.update(snapshot(""))
    for step in range(1, steps + 1):
        opt.zero_grad()
        loss = F.cross_entropy(l2(torch.relu(l1(x))), y)
        loss.backward()
        tensors[f"loss_step_{step}"] = loss.detach()
        opt.step()
        tensors.update(snapshot(f"step_{step}."))
    meta = {"seed": seed, "steps": steps, "loss": "sparse_categorical_crossentropy_from_logits",
            "reduction": "mean", "init": "torch.nn.Linear default"}
    meta.update(opt_meta)
    write(
        name,
        "Tiny MLP Dense(6->5, relu) -> Dense(5->3) trained for 3 full-batch steps on x (8,6) "
        "with integer labels y (8,) stored as floats; loss = mean softmax cross-entropy from "
        "logits. Kernels are stored Keras-style (in, out) = torch weight transposed. Initial "
        "params under plain names (dense_1.kernel, ...); loss_step_k is the loss before step k "
        "(shape []); step_k.<param> is the parameter after step k. " + opt_desc,
        meta,
        tensors,
    )


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    dense_case("dense_relu", "relu", seed=1)
    dense_case("dense_linear", "linear", seed=2)
    softmax_xent()
    mse()
    mlp_case(
        "adam_mlp",
        lambda p: torch.optim.Adam(p, lr=1e-2, betas=(0.9, 0.999), eps=1e-7),
        {"optimizer": "adam", "lr": 1e-2, "beta_1": 0.9, "beta_2": 0.999, "eps": 1e-7,
         "amsgrad": False},
        "Optimiser: torch.optim.Adam(lr=1e-2, betas=(0.9, 0.999), eps=1e-7) (Keras default "
        "epsilon 1e-7). PyTorch step: p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). "
        "Keras adds eps to sqrt(v) before the bias correction (epsilon-hat form); the "
        "difference is of order eps and negligible at float32 tolerances.",
    )
    mlp_case(
        "adamw_mlp",
        lambda p: torch.optim.AdamW(p, lr=1e-2, betas=(0.9, 0.999), eps=1e-7, weight_decay=0.01),
        {"optimizer": "adamw", "lr": 1e-2, "beta_1": 0.9, "beta_2": 0.999, "eps": 1e-7,
         "weight_decay": 0.01},
        "Optimiser: torch.optim.AdamW(lr=1e-2, betas=(0.9, 0.999), eps=1e-7, weight_decay=0.01); "
        "decoupled decay p -= lr * weight_decay * p applied (to all params, biases included) "
        "before the Adam update.",
    )
    mlp_case(
        "sgd_momentum_mlp",
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=False),
        {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": False},
        "Optimiser: torch.optim.SGD(lr=0.1, momentum=0.9, nesterov=False). PyTorch form: "
        "v = momentum*v + g (v = g on the first step); p -= lr*v. With constant lr this equals "
        "Keras' v = momentum*v - lr*g; p += v.",
    )
    mlp_case(
        "sgd_nesterov_mlp",
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True},
        "Optimiser: torch.optim.SGD(lr=0.1, momentum=0.9, nesterov=True). PyTorch form: "
        "v = momentum*v + g (v = g on the first step); p -= lr*(g + momentum*v). With constant lr "
        "this equals Keras' v = momentum*v - lr*g; p += momentum*v - lr*g.",
    )
    mlp_case(
        "rmsprop_mlp",
        lambda p: torch.optim.RMSprop(p, lr=1e-2, alpha=0.9, eps=1e-7),
        {"optimizer": "rmsprop", "lr": 1e-2, "rho": 0.9, "eps": 1e-7, "momentum": 0.0,
         "centered": False},
        "Optimiser: torch.optim.RMSprop(lr=1e-2, alpha=0.9, eps=1e-7) (Keras rho=0.9). "
        "s = alpha*s + (1-alpha)*g^2 with s starting at 0; p -= lr*g/(sqrt(s) + eps). PyTorch "
        "adds eps outside the sqrt, as Keras does.",
    )


if __name__ == "__main__":
    main()
