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

    private final Tensor q, k, v;   // contiguous
    private final Tensor p;         // (B, H, Tq, Tk)
    private final int heads;
    private final boolean causal;
    private final float[] keep;     // (B, Tk) 0/1, or null
    private final double[] keepD;

    private Attention(Tensor q, Tensor k, Tensor v, Tensor p, int heads, boolean causal, float[] keep, double[] keepD) {
        super(q, k, v);
        this.q = q;
        this.k = k;
        this.v = v;
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
        if (causal && tk < tq) throw new IllegalArgumentException("attention: causal with " + tq + " queries but only " + tk + " keys");
        if (keyMask != null && !Shape.equal(keyMask.shape, new int[] {b, tk})) {
            throw new IllegalArgumentException("attention: key mask of shape " + Shape.str(keyMask.shape) + " but needs (batch, keys) = "
                    + Shape.str(new int[] {b, tk}));
        }
        if (q.dtype != k.dtype || q.dtype != v.dtype) throw new IllegalArgumentException("attention: dtypes differ");
        q = q.contiguous();
        k = k.contiguous();
        v = v.contiguous();
        int dk = hd / heads;
        double scale = 1 / Math.sqrt(dk);
        float[] keep = null;
        double[] keepD = null;
        if (keyMask != null) {
            keepD = keyMask.toDoubleArray();
            keep = new float[keepD.length];
            for (int i = 0; i < keepD.length; i++) keepD[i] = keep[i] = keepD[i] != 0 ? 1 : 0;
        }
        Tensor out = Tensor.zeros(q.dtype, b, tq, hd);
        Tensor p = Tensor.zeros(q.dtype, b, heads, tq, tk);
        if (q.f != null) {
            AttentionKernels.forward(b, heads, tq, tk, dk, causal, (float) scale, keep, 0, q.f, q.offset, k.f, k.offset, v.f, v.offset,
                    p.f, 0, out.f, 0);
        } else {
            ScalarAttention.forward(b, heads, tq, tk, dk, causal, scale, keepD == null ? null : Buf.of(keepD), 0, Buf.of(q.d), q.offset,
                    Buf.of(k.d), k.offset, Buf.of(v.d), v.offset, Buf.of(p.d), 0, Buf.of(out.d), 0);
        }
        if (Function.needsGrad(q, k, v)) Function.record(out, new Attention(q, k, v, p, heads, causal, keep, keepD));
        return new Result(out, p.detach());
    }

    @Override
    protected Tensor[] backward(Tensor dOut) {
        Tensor g = dOut.contiguous();
        int b = q.shape[0], tq = q.shape[1], hd = q.shape[2], tk = k.shape[1], dk = hd / heads;
        double scale = 1 / Math.sqrt(dk);
        Tensor dQ = Tensor.zeros(g.dtype, q.shape), dK = Tensor.zeros(g.dtype, k.shape), dV = Tensor.zeros(g.dtype, v.shape);
        if (g.f != null) {
            AttentionKernels.backward(b, heads, tq, tk, dk, causal, (float) scale, keep, 0, q.f, q.offset, k.f, k.offset, v.f, v.offset,
                    p.f, 0, g.f, g.offset, dQ.f, 0, dK.f, 0, dV.f, 0);
        } else {
            ScalarAttention.backward(b, heads, tq, tk, dk, causal, scale, keepD == null ? null : Buf.of(keepD), 0, Buf.of(q.d), q.offset,
                    Buf.of(k.d), k.offset, Buf.of(v.d), v.offset, Buf.of(p.d), 0, Buf.of(g.d), g.offset, Buf.of(dQ.d), 0, Buf.of(dK.d), 0,
                    Buf.of(dV.d), 0);
        }
        return new Tensor[] {wants(0) ? dQ : null, wants(1) ? dK : null, wants(2) ? dV : null};
    }
}
