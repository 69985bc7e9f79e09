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


def sequence_fixtures():
    """Issue 5: LSTM, GRU, MultiHeadAttention and Transformer blocks, in Keras layouts.

    PyTorch keeps weight_ih (G*units, in) and weight_hh (G*units, units); Keras keeps kernel (in, G*units)
    and recurrent_kernel (units, G*units), so both are transposed. LSTM gate order i, f, g, o is Keras's
    i, f, c, o, and Keras has one bias = b_ih + b_hh. GRU: PyTorch orders r, z, n, Keras z, r, h; Keras's
    reset_after GRU keeps bias (2, 3*units) = [b_ih; b_hh] in its own gate order.
    """
    # ---- LSTM
    torch.manual_seed(11)
    b, t, f, u = 2, 4, 3, 5
    lstm = torch.nn.LSTM(f, u, batch_first=True)
    x = torch.randn(b, t, f, requires_grad=True)
    out, (h, c) = lstm(x)
    dy = torch.randn(b, t, u)
    (out * dy).sum().backward()
    kernel = lstm.weight_ih_l0.detach().t().contiguous()
    rkernel = lstm.weight_hh_l0.detach().t().contiguous()
    write("lstm", "LSTM(units=5, return_sequences) on x (2,4,3), Keras layout: kernel (3,20) = weight_ih.T, "
          "recurrent_kernel (5,20) = weight_hh.T, bias (20,) = b_ih + b_hh, gates i,f,c,o. y (2,4,5) is the "
          "output sequence, h and c the final states; dy is an upstream gradient of y; dx, dkernel, "
          "drecurrent_kernel, dbias are gradients of sum(y * dy).",
          {"seed": 11, "units": u},
          {"x": x, "kernel": kernel, "recurrent_kernel": rkernel,
           "bias": (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach(), "y": out, "h": h[0], "c": c[0], "dy": dy,
           "dx": x.grad, "dkernel": lstm.weight_ih_l0.grad.t(), "drecurrent_kernel": lstm.weight_hh_l0.grad.t(),
           "dbias": lstm.bias_ih_l0.grad})

    # ---- GRU
    torch.manual_seed(12)
    gru = torch.nn.GRU(f, u, batch_first=True)
    x = torch.randn(b, t, f, requires_grad=True)
    out, h = gru(x)
    dy = torch.randn(b, t, u)
    (out * dy).sum().backward()

    def zrh(w):  # rows r, z, n -> z, r, h
        return torch.cat([w[u:2 * u], w[0:u], w[2 * u:3 * u]], 0)

    write("gru", "GRU(units=5, return_sequences, reset_after) on x (2,4,3), Keras layout and gate order z,r,h: "
          "kernel (3,15), recurrent_kernel (5,15), bias (2,15) = [input bias; recurrent bias]; PyTorch's r,z,n "
          "rows reordered and transposed. y (2,4,5), h the final state; dx, dkernel, drecurrent_kernel, dbias "
          "are gradients of sum(y * dy).",
          {"seed": 12, "units": u},
          {"x": x, "kernel": zrh(gru.weight_ih_l0.detach()).t(), "recurrent_kernel": zrh(gru.weight_hh_l0.detach()).t(),
           "bias": torch.stack([zrh(gru.bias_ih_l0.detach()), zrh(gru.bias_hh_l0.detach())]),
           "y": out, "h": h[0], "dy": dy, "dx": x.grad,
           "dkernel": zrh(gru.weight_ih_l0.grad).t(), "drecurrent_kernel": zrh(gru.weight_hh_l0.grad).t(),
           "dbias": torch.stack([zrh(gru.bias_ih_l0.grad), zrh(gru.bias_hh_l0.grad)])})

    # ---- MultiHeadAttention (self-attention, causal)
    def mha_tensors(prefix, m, d):
        w, bias = m.in_proj_weight, m.in_proj_bias
        out = {}
        for i, n in enumerate(["query", "key", "value"]):
            out[prefix + n + ".kernel"] = w[i * d:(i + 1) * d].detach().t()
            out[prefix + n + ".bias"] = bias[i * d:(i + 1) * d].detach()
        out[prefix + "output.kernel"] = m.out_proj.weight.detach().t()
        out[prefix + "output.bias"] = m.out_proj.bias.detach()
        return out

    def mha_grads(prefix, m, d):
        w, bias = m.in_proj_weight.grad, m.in_proj_bias.grad
        out = {}
        for i, n in enumerate(["query", "key", "value"]):
            out["d" + prefix + n + ".kernel"] = w[i * d:(i + 1) * d].t()
            out["d" + prefix + n + ".bias"] = bias[i * d:(i + 1) * d]
        out["d" + prefix + "output.kernel"] = m.out_proj.weight.grad.t()
        out["d" + prefix + "output.bias"] = m.out_proj.bias.grad
        return out

    torch.manual_seed(13)
    d, heads, t = 8, 2, 5
    mha = torch.nn.MultiheadAttention(d, heads, batch_first=True)
    torch.nn.init.normal_(mha.in_proj_bias, std=0.1)
    torch.nn.init.normal_(mha.out_proj.bias, std=0.1)
    x = torch.randn(b, t, d, requires_grad=True)
    causal = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    y, weights = mha(x, x, x, attn_mask=causal, need_weights=True, average_attn_weights=False)
    dy = torch.randn(b, t, d)
    (y * dy).sum().backward()
    tensors = {"x": x, "y": y, "weights": weights, "dy": dy, "dx": x.grad}
    tensors.update(mha_tensors("", mha, d))
    tensors.update(mha_grads("", mha, d))
    write("mha_causal", "Causal multi-head self-attention, d_model 8, 2 heads (key_dim 4), x (2,5,8). Kernels in "
          "Keras layout (in, out): torch in_proj_weight split into query/key/value and transposed; output.kernel "
          "= out_proj.weight.T. weights (2,2,5,5) are the per-head attention weights. Gradients of sum(y * dy).",
          {"seed": 13, "heads": heads, "causal": True}, tensors)

    # ---- Transformer blocks: post-norm encoder (ReLU) and pre-norm GPT block (causal, tanh GELU)
    def block(name, norm_first, activation, mask, desc, seed):
        torch.manual_seed(seed)
        ff = 16
        layer = torch.nn.TransformerEncoderLayer(d, heads, dim_feedforward=ff, dropout=0.0, activation=activation,
                                                 batch_first=True, norm_first=norm_first, layer_norm_eps=1e-5)
        for ln in (layer.norm1, layer.norm2):
            torch.nn.init.normal_(ln.weight, 1.0, 0.1)
            torch.nn.init.normal_(ln.bias, 0.0, 0.1)
        x = torch.randn(b, t, d, requires_grad=True)
        y = layer(x, src_mask=mask)
        dy = torch.randn(b, t, d)
        (y * dy).sum().backward()
        tensors = {"x": x, "y": y, "dy": dy, "dx": x.grad}
        tensors.update(mha_tensors("attention.", layer.self_attn, d))
        tensors.update(mha_grads("attention.", layer.self_attn, d))
        for kn, mod in (("attention_norm", layer.norm1), ("ffn_norm", layer.norm2)):
            tensors[kn + ".gamma"] = mod.weight.detach()
            tensors[kn + ".beta"] = mod.bias.detach()
            tensors["d" + kn + ".gamma"] = mod.weight.grad
            tensors["d" + kn + ".beta"] = mod.bias.grad
        for kn, mod in (("ffn_1", layer.linear1), ("ffn_2", layer.linear2)):
            tensors[kn + ".kernel"] = mod.weight.detach().t()
            tensors[kn + ".bias"] = mod.bias.detach()
            tensors["d" + kn + ".kernel"] = mod.weight.grad.t()
            tensors["d" + kn + ".bias"] = mod.bias.grad
        write(name, desc + " d_model 8, 2 heads, feed-forward 16, x (2,5,8), LayerNorm eps 1e-5, no dropout. "
              "Parameter names follow Kiln's blocks (attention.*, attention_norm.*, ffn_1.*, ffn_2.*, ffn_norm.*), "
              "kernels in Keras layout (in, out). Gradients of sum(y * dy).",
              {"seed": seed, "heads": heads, "intermediate": ff}, tensors)

    block("transformer_encoder", False, "relu", None,
          "torch.nn.TransformerEncoderLayer(norm_first=False, activation=relu): post-norm encoder (Vaswani et al. 2017).", 14)
    block("gpt_block", True, lambda z: F.gelu(z, approximate="tanh"), causal,
          "torch.nn.TransformerEncoderLayer(norm_first=True, activation=gelu tanh) with a causal mask: a GPT-2 block.", 15)


def _nhwc(t):
    """PyTorch's (N, C, H, W) as Kiln's channels-last (N, H, W, C)."""
    return t.permute(0, 2, 3, 1)


def _keras_kernel(w):
    """torch conv weight (out, in/groups, kh, kw) as Keras's (kh, kw, in/groups, out)."""
    return w.permute(2, 3, 1, 0)


def vision_fixtures():
    """Conv2D, pooling and BatchNormalization, channels-last.

    PyTorch is channels-first: inputs are made NCHW, run through torch, and every image tensor is written
    permuted to NHWC; conv kernels are written in Keras layout (kh, kw, in/groups, out) =
    weight.permute(2, 3, 1, 0). Gradients are of sum(y * dy) with a random dy.
    """
    def conv_case(name, seed, n, c, h, w, filters, k, stride, dilation, groups, pads, relu, desc):
        # pads = (top, bottom, left, right): TensorFlow's "same" puts the odd pixel after, which torch's
        # symmetric padding cannot express, so pad explicitly with F.pad.
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(n, c, h, w, generator=g, requires_grad=True)
        weight = (torch.randn(filters, c // groups, k, k, generator=g) * 0.3).requires_grad_(True)
        bias = (torch.randn(filters, generator=g) * 0.1).requires_grad_(True)
        xp = F.pad(x, (pads[2], pads[3], pads[0], pads[1]))
        y = F.conv2d(xp, weight, bias, stride=stride, dilation=dilation, groups=groups)
        if relu:
            y = torch.relu(y)
        dy = torch.randn(y.shape, generator=g)
        (y * dy).sum().backward()
        write(name, desc, {"filters": filters, "kernel_size": k, "stride": stride, "dilation": dilation,
                           "groups": groups, "padding": "same" if any(pads) else "valid", "relu": relu},
              {"x": _nhwc(x), "kernel": _keras_kernel(weight), "bias": bias, "y": _nhwc(y), "dy": _nhwc(dy),
               "dx": _nhwc(x.grad), "dkernel": _keras_kernel(weight.grad), "dbias": bias.grad})

    conv_case("conv2d_relu_valid", 11, 2, 3, 6, 5, 4, 3, 1, 1, 1, (0, 0, 0, 0), True,
              "Conv2D(4, 3, relu), stride 1, valid: torch F.conv2d + relu.")
    conv_case("conv2d_same_stride2", 12, 2, 2, 6, 7, 3, 3, 2, 1, 1, (0, 1, 1, 1), False,
              "Conv2D(3, 3, strides 2, padding same) on 6x7: TensorFlow pads (top 0, bottom 1, left 1, right 1).")
    conv_case("conv2d_depthwise_dilated", 13, 1, 4, 7, 7, 8, 3, 1, 2, 4, (0, 0, 0, 0), False,
              "Conv2D(8, 3, groups 4 = depthwise with multiplier 2, dilation 2), valid.")

    g = torch.Generator().manual_seed(15)
    x = torch.randn(2, 3, 4, 3, generator=g, requires_grad=True)
    weight = (torch.randn(3, 5, 3, 3, generator=g) * 0.3).requires_grad_(True)   # torch: (in, out, kh, kw)
    bias = (torch.randn(5, generator=g) * 0.1).requires_grad_(True)
    y = F.conv_transpose2d(x, weight, bias, stride=2)
    dy = torch.randn(y.shape, generator=g)
    (y * dy).sum().backward()
    write("conv2d_transpose_valid", "Conv2DTranspose(5, 3, strides 2, valid) = torch F.conv_transpose2d; Keras kernel "
          "(kh, kw, out, in) = weight.permute(2, 3, 1, 0).",
          {"filters": 5, "kernel_size": 3, "stride": 2, "padding": "valid"},
          {"x": _nhwc(x), "kernel": _keras_kernel(weight), "bias": bias, "y": _nhwc(y), "dy": _nhwc(dy),
           "dx": _nhwc(x.grad), "dkernel": _keras_kernel(weight.grad), "dbias": bias.grad})

    g = torch.Generator().manual_seed(14)
    x = torch.randn(2, 3, 7, 7, generator=g, requires_grad=True)
    y = F.max_pool2d(x, 3, stride=2, padding=1)
    dy = torch.randn(y.shape, generator=g)
    (y * dy).sum().backward()
    write("maxpool_same", "MaxPooling2D(3, strides 2, padding same) on 7x7 (symmetric pad 1 with -inf).",
          {"pool_size": 3, "stride": 2, "padding": "same"},
          {"x": _nhwc(x), "y": _nhwc(y), "dy": _nhwc(dy), "dx": _nhwc(x.grad)})

    x = torch.randn(2, 3, 7, 7, generator=g, requires_grad=True)
    y = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
    dy = torch.randn(y.shape, generator=g)
    (y * dy).sum().backward()
    write("avgpool_same", "AveragePooling2D(3, strides 2, padding same) on 7x7: count_include_pad=False, as Keras.",
          {"pool_size": 3, "stride": 2, "padding": "same"},
          {"x": _nhwc(x), "y": _nhwc(y), "dy": _nhwc(dy), "dx": _nhwc(x.grad)})

    x = (torch.randn(4, 5, 3, 3, generator=g) * 2 + 1).requires_grad_(True)
    bn = torch.nn.BatchNorm2d(5, eps=1e-3, momentum=0.01)
    with torch.no_grad():
        bn.weight.copy_(torch.rand(5, generator=g) + 0.5)
        bn.bias.copy_(torch.randn(5, generator=g) * 0.1)
    bn.train()
    y = bn(x)
    dy = torch.randn(y.shape, generator=g)
    (y * dy).sum().backward()
    # Keras updates moving_variance with the biased batch variance; torch's running_var uses the unbiased one,
    # so the expected Keras moving statistics are computed here from the batch.
    batch_var = x.detach().var(dim=(0, 2, 3), unbiased=False)
    moving_mean = bn.running_mean.clone()
    moving_var = 0.99 * 1.0 + 0.01 * batch_var
    with torch.no_grad():
        bn.running_var.copy_(moving_var)
        bn.eval()
        y_eval = bn(x)
    write("batchnorm", "BatchNormalization(momentum 0.99, epsilon 1e-3) = torch BatchNorm2d(eps=1e-3, momentum=0.01): "
          "one training step (y, gradients, moving statistics after it; moving_variance from the biased batch variance, "
          "as Keras), then inference on the same x.",
          {"momentum": 0.99, "epsilon": 1e-3},
          {"x": _nhwc(x), "gamma": bn.weight, "beta": bn.bias, "y": _nhwc(y), "dy": _nhwc(dy), "dx": _nhwc(x.grad),
           "dgamma": bn.weight.grad, "dbeta": bn.bias.grad, "moving_mean": moving_mean, "moving_variance": moving_var,
           "y_inference": _nhwc(y_eval)})


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
    sequence_fixtures()
    vision_fixtures()


if __name__ == "__main__":
    main()
