package dev.kiln.core;

import dev.kiln.core.kernel.AttentionKernels;
import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.ScalarAttention;

/**
 * Multi-head scaled dot-product attention (Vaswani et al. 2017) as one op: per head
 * {@code softmax(Q·Kᵀ/√d_k + mask)·V}, with an optional causal mask and key padding mask. Composed from
 * matmul, transpose, mul, add, max, exp, sum and div it recorded about ten ops, kept several (B, H, T, T)
 * tensors alive and copied the permuted heads; this op reads the heads in place in the projections
 * (B, T, H·d_k) and writes its output in that layout, so the output projection follows directly, and it
 * keeps only the weights P for the backward (the dS = P ⊙ (dP − rowsum(P ⊙ dP)) step of the softmax).
 *
 * <p>Masking follows {@link ScalarAttention}: with {@code causal}, query i (one of the last Tq of Tk
 * positions, as when decoding after a key/value cache) sees keys j ≤ i + Tk − Tq; a key mask (B, Tk) hides
 * keys where it is 0; a query that may see no key gets uniform weights and passes back no gradient.
 */
public final class Attention extends Function {
    /** The attended values (B, Tq, H·d_k), tracked, and the attention weights (B, H, Tq, Tk), not tracked. */
    public record Result(Tensor output, Tensor weights) {}

    // Not final: a training step refills last step's node (Tensor#spareNode) instead of making one.
    private Tensor q, k, v;         // contiguous; for a packed input all three are the one (B, T, 3·H·dk) tensor
    private boolean packed;
    private Tensor p;               // (B, H, Tq, Tk)
    private int heads;
    private boolean causal;
    private float[] keep;           // (B, Tk) 0/1, or null
    private double[] keepD;
    private final Tensor[] grads;

    private Attention(int inputs) {
        super(new Tensor[inputs]);
        grads = new Tensor[inputs];
    }

    /**
     * Attention of queries q (B, Tq, H·d_k) over keys k and values v (B, Tk, H·d_k), {@code heads} heads of
     * d_k columns each, scores scaled by 1/√d_k. {@code keyMask} (B, Tk), 1 = attend, may be null.
     */
    public static Result apply(Tensor q, Tensor k, Tensor v, int heads, boolean causal, Tensor keyMask) {
        if (q.rank() != 3 || k.rank() != 3 || v.rank() != 3 || heads < 1) {
            throw new IllegalArgumentException("attention: needs q (B, Tq, H·dk), k and v (B, Tk, H·dk) and heads >= 1, got "
                    + Shape.str(q.shape) + ", " + Shape.str(k.shape) + ", " + Shape.str(v.shape) + " and " + heads + " heads");
        }
        int b = q.shape[0], tq = q.shape[1], hd = q.shape[2], tk = k.shape[1];
        if (!Shape.equal(k.shape, v.shape) || k.shape[0] != b || k.shape[2] != hd || hd % heads != 0 || tq < 1 || tk < 1) {
            throw new IllegalArgumentException("attention: q " + Shape.str(q.shape) + ", k " + Shape.str(k.shape) + ", v " + Shape.str(v.shape)
                    + " with " + heads + " heads: k and v must have one shape, batch and width must match q, the width must divide by heads"
                    + " and there must be at least one query and one key");
        }
        if (q.dtype != k.dtype || q.dtype != v.dtype) throw new IllegalArgumentException("attention: dtypes differ");
        q = q.contiguous();
        k = k.contiguous();
        v = v.contiguous();
        Tensor[] weights = new Tensor[1];
        Tensor out = run(q, k, v, false, b, tq, tk, hd, heads, causal, keyMask, weights);
        return new Result(out, weights[0]);
    }

    /**
     * Self-attention from one packed projection {@code qkv} (B, T, 3·H·d_k) holding Q, K and V side by side (one
     * GEMM makes all three, and the backward returns one gradient instead of three to be summed into x's).
     */
    public static Result applyPacked(Tensor qkv, int heads, boolean causal, Tensor keyMask) {
        Tensor[] weights = new Tensor[1];
        Tensor out = packed(qkv, heads, causal, keyMask, weights);
        return new Result(out, weights[0]);
    }

    /** {@link #applyPacked}'s output alone (a training step's: no result record, nothing to keep the weights in). */
    public static Tensor applyPackedOutput(Tensor qkv, int heads, boolean causal, Tensor keyMask) {
        return packed(qkv, heads, causal, keyMask, null);
    }

    private static Tensor packed(Tensor qkv, int heads, boolean causal, Tensor keyMask, Tensor[] weights) {
        if (qkv.rank() != 3 || heads < 1 || qkv.shape[2] % (3 * heads) != 0 || qkv.shape[1] < 1) {
            throw new IllegalArgumentException("attention: needs a packed qkv (B, T, 3·H·dk) with the width divisible by 3·heads and T >= 1, got "
                    + Shape.str(qkv.shape) + " and " + heads + " heads");
        }
        qkv = qkv.contiguous();
        return run(qkv, qkv, qkv, true, qkv.shape[0], qkv.shape[1], qkv.shape[1], qkv.shape[2] / 3, heads, causal, keyMask, weights);
    }

    /** The output (tracked); the weights P (not tracked) into {@code weights[0]} when it is given. */
    private static Tensor run(Tensor q, Tensor k, Tensor v, boolean packed, int b, int tq, int tk, int hd, int heads,
                              boolean causal, Tensor keyMask, Tensor[] weights) {
        if (causal && tk < tq) throw new IllegalArgumentException("attention: causal with " + tq + " queries but only " + tk + " keys");
        if (keyMask != null && !keyMask.hasShape(b, tk)) {
            throw new IllegalArgumentException("attention: key mask of shape " + Shape.str(keyMask.shape) + " but needs (batch, keys) = "
                    + Shape.str(new int[] {b, tk}));
        }
        int dk = hd / heads, ldq = packed ? 3 * hd : hd, ko = packed ? hd : 0, vo = packed ? 2 * hd : 0;
        double scale = 1 / Math.sqrt(dk);
        float[] keep = null;     // float32: in a (B, Tk) tensor of the step's arena, kept by the node within the step
        double[] keepD = null;   // float64 (the reference path)
        if (keyMask != null) {
            if (q.f != null) keep = Tensor.uninitialized(DType.FLOAT32, b, tk).f;
            else keepD = new double[b * tk];
            int rs = keyMask.strides[0], js = keyMask.strides[1];
            for (int row = 0; row < b; row++) {
                for (int j = 0; j < tk; j++) {
                    boolean kept = keyMask.valueAt(keyMask.offset + row * rs + j * js) != 0;
                    if (keep != null) keep[row * tk + j] = kept ? 1 : 0;
                    else keepD[row * tk + j] = kept ? 1 : 0;
                }
            }
        }
        Tensor out = result(q.dtype, ShapeScratch.ATTENTION_OUT, b, tq, hd, -1);   // the kernels write every element
        Tensor p = result(q.dtype, ShapeScratch.ATTENTION_P, b, heads, tq, tk);
        if (q.f != null) {
            AttentionKernels.forward(b, heads, tq, tk, dk, causal, (float) scale, keep, 0, ldq, ldq, q.f, q.offset, k.f, k.offset + ko,
                    v.f, v.offset + vo, p.f, 0, out.f, 0);
        } else {
            ScalarAttention.forward(b, heads, tq, tk, dk, causal, scale, keepD == null ? null : Buf.of(keepD), 0, ldq, ldq, Buf.of(q.d), q.offset,
                    Buf.of(k.d), k.offset + ko, Buf.of(v.d), v.offset + vo, Buf.of(p.d), 0, Buf.of(out.d), 0);
        }
        if (weights != null) weights[0] = p;
        if (!(packed ? Function.needsGrad(q) : Function.needsGrad(q, k, v))) return out;
        int inputs = packed ? 1 : 3;
        Attention node = out.spareNode(Attention.class);
        if (node == null || node.inputs.length != inputs) node = new Attention(inputs);
        node.inputs[0] = q;
        if (!packed) {
            node.inputs[1] = k;
            node.inputs[2] = v;
        }
        node.q = q;
        node.k = k;
        node.v = v;
        node.packed = packed;
        node.p = p;
        node.heads = heads;
        node.causal = causal;
        node.keep = keep;
        node.keepD = keepD;
        return Function.record(out, node);
    }

    /** An uninitialised (B, d1, d2[, d3]) result (d3 &lt; 0: rank 3) from the arena, its shape in a per-thread array. */
    private static Tensor result(DType dtype, int slot, int b, int d1, int d2, int d3) {
        int[] shape = ShapeScratch.of(slot, d3 < 0 ? 3 : 4);
        shape[0] = b;
        shape[1] = d1;
        shape[2] = d2;
        if (d3 >= 0) shape[3] = d3;
        return Tensor.uninitializedCopying(dtype, shape);
    }

    @Override
    protected Tensor[] backward(Tensor dOut) {
        Tensor g = dOut.contiguous();
        int b = q.shape[0], tq = q.shape[1], tk = k.shape[1], hd = packed ? q.shape[2] / 3 : q.shape[2], dk = hd / heads;
        int ldq = packed ? 3 * hd : hd, ko = packed ? hd : 0, vo = packed ? 2 * hd : 0;
        double scale = 1 / Math.sqrt(dk);
        Tensor dQ = Tensor.uninitialized(g.dtype, q.shape);                // every element written (the twin zero-fills first)
        Tensor dK = packed ? dQ : Tensor.uninitialized(g.dtype, k.shape), dV = packed ? dQ : Tensor.uninitialized(g.dtype, v.shape);
        if (g.f != null) {
            AttentionKernels.backward(b, heads, tq, tk, dk, causal, (float) scale, keep, 0, ldq, ldq, q.f, q.offset, k.f, k.offset + ko,
                    v.f, v.offset + vo, p.f, 0, g.f, g.offset, dQ.f, 0, dK.f, ko, dV.f, vo);
        } else {
            ScalarAttention.backward(b, heads, tq, tk, dk, causal, scale, keepD == null ? null : Buf.of(keepD), 0, ldq, ldq, Buf.of(q.d), q.offset,
                    Buf.of(k.d), k.offset + ko, Buf.of(v.d), v.offset + vo, Buf.of(p.d), 0, Buf.of(g.d), g.offset, Buf.of(dQ.d), 0,
                    Buf.of(dK.d), ko, Buf.of(dV.d), vo);
        }
        grads[0] = packed || wants(0) ? dQ : null;
        if (!packed) {
            grads[1] = wants(1) ? dK : null;
            grads[2] = wants(2) ? dV : null;
        }
        return grads;
    }
}
