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

    private final Tensor q, k, v;   // contiguous; for a packed input all three are the one (B, T, 3·H·dk) tensor
    private final boolean packed;
    private final Tensor p;         // (B, H, Tq, Tk)
    private final int heads;
    private final boolean causal;
    private final float[] keep;     // (B, Tk) 0/1, or null
    private final double[] keepD;

    private Attention(Tensor[] inputs, Tensor q, Tensor k, Tensor v, boolean packed, Tensor p, int heads, boolean causal, float[] keep, double[] keepD) {
        super(inputs);
        this.q = q;
        this.k = k;
        this.v = v;
        this.packed = packed;
        this.p = p;
        this.heads = heads;
        this.causal = causal;
        this.keep = keep;
        this.keepD = keepD;
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
        return run(new Tensor[] {q, k, v}, q, k, v, false, b, tq, tk, hd, heads, causal, keyMask);
    }

    /**
     * Self-attention from one packed projection {@code qkv} (B, T, 3·H·d_k) holding Q, K and V side by side (one
     * GEMM makes all three, and the backward returns one gradient instead of three to be summed into x's).
     */
    public static Result applyPacked(Tensor qkv, int heads, boolean causal, Tensor keyMask) {
        if (qkv.rank() != 3 || heads < 1 || qkv.shape[2] % (3 * heads) != 0 || qkv.shape[1] < 1) {
            throw new IllegalArgumentException("attention: needs a packed qkv (B, T, 3·H·dk) with the width divisible by 3·heads and T >= 1, got "
                    + Shape.str(qkv.shape) + " and " + heads + " heads");
        }
        qkv = qkv.contiguous();
        return run(new Tensor[] {qkv}, qkv, qkv, qkv, true, qkv.shape[0], qkv.shape[1], qkv.shape[1], qkv.shape[2] / 3, heads, causal, keyMask);
    }

    private static Result run(Tensor[] inputs, Tensor q, Tensor k, Tensor v, boolean packed, int b, int tq, int tk, int hd, int heads,
                              boolean causal, Tensor keyMask) {
        if (causal && tk < tq) throw new IllegalArgumentException("attention: causal with " + tq + " queries but only " + tk + " keys");
        if (keyMask != null && !Shape.equal(keyMask.shape, new int[] {b, tk})) {
            throw new IllegalArgumentException("attention: key mask of shape " + Shape.str(keyMask.shape) + " but needs (batch, keys) = "
                    + Shape.str(new int[] {b, tk}));
        }
        int dk = hd / heads, ldq = packed ? 3 * hd : hd, ko = packed ? hd : 0, vo = packed ? 2 * hd : 0;
        double scale = 1 / Math.sqrt(dk);
        float[] keep = null;
        double[] keepD = null;
        if (keyMask != null) {
            keepD = keyMask.toDoubleArray();
            keep = new float[keepD.length];
            for (int i = 0; i < keepD.length; i++) keepD[i] = keep[i] = keepD[i] != 0 ? 1 : 0;
        }
        Tensor out = Tensor.uninitialized(q.dtype, b, tq, hd);             // the kernels write every element
        Tensor p = Tensor.uninitialized(q.dtype, b, heads, tq, tk);
        if (q.f != null) {
            AttentionKernels.forward(b, heads, tq, tk, dk, causal, (float) scale, keep, 0, ldq, ldq, q.f, q.offset, k.f, k.offset + ko,
                    v.f, v.offset + vo, p.f, 0, out.f, 0);
        } else {
            ScalarAttention.forward(b, heads, tq, tk, dk, causal, scale, keepD == null ? null : Buf.of(keepD), 0, ldq, ldq, Buf.of(q.d), q.offset,
                    Buf.of(k.d), k.offset + ko, Buf.of(v.d), v.offset + vo, Buf.of(p.d), 0, Buf.of(out.d), 0);
        }
        if (Function.needsGrad(inputs)) Function.record(out, new Attention(inputs, q, k, v, packed, p, heads, causal, keep, keepD));
        return new Result(out, p.detach());
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
        if (packed) return new Tensor[] {dQ};
        return new Tensor[] {wants(0) ? dQ : null, wants(1) ? dK : null, wants(2) ? dV : null};
    }
}
