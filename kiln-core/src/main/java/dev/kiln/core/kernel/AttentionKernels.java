package dev.kiln.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused scaled dot-product attention, forward and backward, float32. Twin: {@link ScalarAttention}, which also
 * documents the layout and the masking rules. Per (batch, head) the products are {@link Gemm} calls that read the
 * heads in place in the (B, T, H·dk) projections (leading dimension H·dk), so no permuted copy of Q, K, V, the
 * output or their gradients is ever made; (batch, head) pairs are split across {@link Parallel}.
 *
 * <p>Queries go in row blocks of {@link #BLOCK}. Under a causal mask without padding, block [i0, i1) needs keys
 * below {@code past + i1} only, so QKᵀ, P·V and the backward's four products skip the upper triangle's blocks
 * (about half the work at T = 128). The softmax uses {@link TransformerKernels#exp}, reproducible in the
 * interpreter and in C2, and writes exact zeros for masked keys.
 */
public final class AttentionKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    /** Query rows per block; small enough that each block's GEMMs stay below Gemm's threshold for threading. */
    static final int BLOCK = 32;

    private AttentionKernels() {}

    /**
     * Per-thread scratch of one head, taken inside the {@link Parallel#forRange} bodies so each worker has its own,
     * grown as needed and kept so a warmed-up training step allocates nothing here. Both arrays are written whole
     * for every head before they are read (the transpose; the dP GEMM over [0, cols) and the softmax backward's zeros
     * on [cols, tk) for every row), so a reused array's old contents never matter.
     */
    private static final class Scratch {
        float[] t = new float[0];    // K (forward) or V (backward) of one head, transposed (dk × tk)
        float[] ds = new float[0];   // dP, then dS, of one head (tq × tk)
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Floats a scratch array may keep between calls (4 MiB): one head's dS is tq·tk, so a 1024-token context stays
     * within it while a longer one gets an array per call (as before, then small next to the head's work) instead
     * of pinning it in every worker thread for good.
     */
    static final int KEEP_MAX = 1 << 20;

    /** {@code have} when it holds n floats (contents unspecified), else a new array. */
    private static float[] atLeast(float[] have, int n) {
        return have.length >= n ? have : new float[n];
    }

    /**
     * Forward: weights p (B, H, Tq, Tk) and output (B, Tq, H·dk). Query rows are {@code ldq} apart, key and value rows
     * {@code ldkv} (H·dk for separate projections, 3·H·dk for one packed QKV projection). See {@link ScalarAttention#forward}.
     */
    public static void forward(int b, int h, int tq, int tk, int dk, boolean causal, float scale, float[] keep, int mo, int ldq, int ldkv,
                               float[] q, int qo, float[] k, int ko, float[] v, int vo, float[] p, int po, float[] out, int oo) {
        Split split = SPLIT_BODY.get();
        split.set(false, h, tq, tk, dk, causal, scale, keep, mo, ldq, ldkv, q, qo, k, ko, v, vo, p, po);
        split.out = out; split.oo = oo;
        split.forRange(b * h, minChunk(tq, tk, dk));
    }

    /**
     * Backward: dq (rows ldq apart), dk and dv (rows ldkv apart), their head columns overwritten, from the forward's
     * weights p and dOut (B, Tq, H·dk). See {@link ScalarAttention#backward}.
     */
    public static void backward(int b, int h, int tq, int tk, int dk, boolean causal, float scale, float[] keep, int mo, int ldq, int ldkv,
                                float[] q, int qo, float[] k, int ko, float[] v, int vo, float[] p, int po, float[] dOut, int go,
                                float[] dq, int dqo, float[] dkArr, int dko, float[] dv, int dvo) {
        Split split = SPLIT_BODY.get();
        split.set(true, h, tq, tk, dk, causal, scale, keep, mo, ldq, ldkv, q, qo, k, ko, v, vo, p, po);
        split.dOut = dOut; split.go = go; split.dq = dq; split.dqo = dqo; split.dkArr = dkArr; split.dko = dko; split.dv = dv; split.dvo = dvo;
        split.forRange(b * h, minChunk(tq, tk, dk));
    }

    /**
     * One call's split over (batch, head) pairs as a reusable body (one per calling thread) rather than a lambda
     * capturing some thirty values, which was a fresh object on every call of a training step. Its arrays are dropped
     * after each run, so an idle thread keeps no model's storage alive; workers only read it while the caller waits.
     */
    private static final class Split implements Parallel.RangeBody {
        boolean backward, causal, limit;
        int h, tq, tk, dk, hd, past, mo, ldq, ldkv, qo, ko, vo, po, oo, go, dqo, dko, dvo;
        float scale;
        float[] keep, q, k, v, p, out, dOut, dq, dkArr, dv;

        void set(boolean backward, int h, int tq, int tk, int dk, boolean causal, float scale, float[] keep, int mo, int ldq, int ldkv,
                 float[] q, int qo, float[] k, int ko, float[] v, int vo, float[] p, int po) {
            this.backward = backward;
            this.h = h; this.tq = tq; this.tk = tk; this.dk = dk; this.causal = causal; this.scale = scale; this.keep = keep;
            this.mo = mo; this.ldq = ldq; this.ldkv = ldkv;
            this.q = q; this.qo = qo; this.k = k; this.ko = ko; this.v = v; this.vo = vo; this.p = p; this.po = po;
            this.hd = h * dk;
            this.past = tk - tq;
            this.limit = causal && keep == null;
        }

        void forRange(int n, int minChunk) {
            try {
                Parallel.forRange(n, minChunk, this);
            } finally {
                keep = q = k = v = p = out = dOut = dq = dkArr = dv = null;
            }
        }

        @Override
        public void run(int t0, int t1) {
            if (backward) backwardHeads(t0, t1);
            else forwardHeads(t0, t1);
        }

        private void forwardHeads(int t0, int t1) {
            Scratch sc = SCRATCH.get();
            float[] kt = atLeast(sc.t, dk * tk);
            if (kt.length <= KEEP_MAX) sc.t = kt;
            float[] lanes = Elementwise.lanes();   // once, not a thread-local lookup per row
            for (int t = t0; t < t1; t++) {
                int bb = t / h, hh = t % h;
                int qb = qo + bb * tq * ldq + hh * dk, kb = ko + bb * tk * ldkv + hh * dk, vb = vo + bb * tk * ldkv + hh * dk;
                int ob = oo + bb * tq * hd + hh * dk, pb = po + t * tq * tk, mb = mo + bb * tk;
                transpose(k, kb, ldkv, tk, dk, kt);
                for (int i0 = 0; i0 < tq; i0 += BLOCK) {
                    int i1 = Math.min(tq, i0 + BLOCK), cols = limit ? Math.min(tk, past + i1) : tk;
                    Gemm.gemm(false, false, i1 - i0, cols, dk, q, qb + i0 * ldq, ldq, kt, 0, tk, p, pb + i0 * tk, tk, false);
                    for (int i = i0; i < i1; i++) softmaxRow(p, pb + i * tk, tk, causal ? Math.min(tk, past + i + 1) : tk, scale, keep, mb, lanes);
                    Gemm.gemm(false, false, i1 - i0, dk, cols, p, pb + i0 * tk, tk, v, vb, ldkv, out, ob + i0 * hd, hd, false);
                }
            }
        }

        private void backwardHeads(int t0, int t1) {
            Scratch sc = SCRATCH.get();
            float[] vt = atLeast(sc.t, dk * tk);
            float[] ds = atLeast(sc.ds, tq * tk);   // dP, then dS, of one head
            if (vt.length <= KEEP_MAX) sc.t = vt;
            if (ds.length <= KEEP_MAX) sc.ds = ds;
            float[] lanes = Elementwise.lanes();
            for (int t = t0; t < t1; t++) {
                int bb = t / h, hh = t % h;
                int col = hh * dk, qb = bb * tq * ldq + col, kb = bb * tk * ldkv + col, gb = go + bb * tq * hd + col;
                int pb = po + t * tq * tk, mb = mo + bb * tk;
                transpose(v, vo + kb, ldkv, tk, dk, vt);
                for (int i0 = 0; i0 < tq; i0 += BLOCK) {
                    int i1 = Math.min(tq, i0 + BLOCK), cols = limit ? Math.min(tk, past + i1) : tk;
                    Gemm.gemm(false, false, i1 - i0, cols, dk, dOut, gb + i0 * hd, hd, vt, 0, tk, ds, i0 * tk, tk, false);
                    for (int i = i0; i < i1; i++) {
                        int lim = causal ? Math.min(tk, past + i + 1) : tk;
                        boolean dead = keep != null && ScalarAttention.fullyMasked(keep, mb, lim);
                        softmaxBackwardRow(p, pb + i * tk, ds, i * tk, tk, cols, scale, dead, lanes);
                    }
                    Gemm.gemm(false, false, i1 - i0, dk, cols, ds, i0 * tk, tk, k, ko + kb, ldkv, dq, dqo + qb + i0 * ldq, ldq, false);
                }
                for (int j0 = 0; j0 < tk; j0 += BLOCK) {
                    int j1 = Math.min(tk, j0 + BLOCK), r0 = limit ? Math.min(tq, Math.max(0, j0 - past)) : 0;
                    // dK = dSᵀ·Q and dV = Pᵀ·dO over the query rows that can see keys [j0, j1)
                    Gemm.gemm(true, false, j1 - j0, dk, tq - r0, ds, r0 * tk + j0, tk, q, qo + qb + r0 * ldq, ldq,
                            dkArr, dko + kb + j0 * ldkv, ldkv, false);
                    Gemm.gemm(true, false, j1 - j0, dk, tq - r0, p, pb + r0 * tk + j0, tk, dOut, gb + r0 * hd, hd, dv, dvo + kb + j0 * ldkv, ldkv, false);
                }
            }
        }
    }

    private static final ThreadLocal<Split> SPLIT_BODY = ThreadLocal.withInitial(Split::new);

    /** Enough (batch, head) pairs per task that a hand-off pays (decoding one token is tiny work). */
    private static int minChunk(int tq, int tk, int dk) {
        return (int) Math.max(1, (1L << 16) / Math.max(1L, (long) tq * tk * dk));
    }

    /** dst (dk × tk, row-major) = the (tk × dk) head starting at src[so] with row stride ld, transposed. */
    private static void transpose(float[] src, int so, int ld, int tk, int dk, float[] dst) {
        for (int j = 0; j < tk; j++) {
            int s = so + j * ld;
            for (int d = 0; d < dk; d++) dst[d * tk + j] = src[s + d];
        }
    }

    /**
     * One row of raw scores Q·Kᵀ at p[r, r + tk) becomes softmax(scale·scores) over the allowed keys (j &lt; lim and
     * keep[mb + j] ≠ 0), with exact zeros elsewhere; a row with no allowed key becomes uniform 1/tk.
     */
    static void softmaxRow(float[] p, int r, int tk, int lim, float scale, float[] keep, int mb, float[] lanes) {
        int upper = S.loopBound(lim), j = 0;
        FloatVector ninf = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), mx = ninf;
        for (; j < upper; j += VL) {
            FloatVector s = FloatVector.fromArray(S, p, r + j).mul(scale);
            if (keep != null) s = s.blend(ninf, FloatVector.fromArray(S, keep, mb + j).compare(VectorOperators.EQ, 0f));
            s.intoArray(p, r + j);
            // s, not mx, is the receiver: mx is a loop phi whose class C2 does not know, so mx.max(s) is a virtual call
            // that inlines only if FloatVector.max's own type profile is ready when this method is compiled; in about
            // a third of GptBench runs it was not, and every vector of the loop was boxed for good (~50 MB a step).
            // max and add are commutative, so the swap changes no bit.
            mx = s.max(mx);
        }
        float max = upper > 0 ? mx.reduceLanes(VectorOperators.MAX) : Float.NEGATIVE_INFINITY;
        for (; j < lim; j++) {
            float s = keep != null && keep[mb + j] == 0 ? Float.NEGATIVE_INFINITY : p[r + j] * scale;
            p[r + j] = s;
            max = Math.max(max, s);
        }
        if (max == Float.NEGATIVE_INFINITY) {   // nothing to attend to: uniform, as an all-masked additive mask gives in float
            java.util.Arrays.fill(p, r, r + tk, 1f / tk);
            return;
        }
        float sum = upper > 0 ? expVectors(p, r, upper, max, keep, mb, lanes) : 0f;
        for (j = upper; j < lim; j++) {
            float e = keep != null && keep[mb + j] == 0 ? 0f : TransformerKernels.exp(p[r + j] - max);
            p[r + j] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (j = 0; j < upper; j += VL) FloatVector.fromArray(S, p, r + j).mul(inv).intoArray(p, r + j);
        for (; j < lim; j++) p[r + j] *= inv;
        java.util.Arrays.fill(p, r + lim, r + tk, 0f);
    }

    /**
     * p[r + j] = e^(p[r + j] − max) (0 where keep is 0) for j in [0, upper), whole vectors; returns their sum (lanes added in
     * order). Its own method, called only when there is a vector to do: with short causal rows (a small context) the
     * loop rarely ran, so C2 found the exp call cold in softmaxRow and, exp being compiled already, left it out of
     * line, boxing every vector passed to it; here the call is hot whenever this method runs.
     */
    private static float expVectors(float[] p, int r, int upper, float max, float[] keep, int mb, float[] lanes) {
        return TransformerKernels.expShiftedSum(p, r, upper, max, keep, mb, lanes);   // the exp steps written out there
    }

    /** dS = scale·P ⊙ (dP − Σ P⊙dP) in place of dP over [0, cols), zeros on [cols, tk); all zeros for a dead (all-masked) row. */
    static void softmaxBackwardRow(float[] p, int pr, float[] ds, int dr, int tk, int cols, float scale, boolean dead,
                                   float[] lanes) {
        if (dead) {
            java.util.Arrays.fill(ds, dr, dr + tk, 0f);
            return;
        }
        int upper = S.loopBound(cols), j = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; j < upper; j += VL) acc = FloatVector.fromArray(S, p, pr + j).fma(FloatVector.fromArray(S, ds, dr + j), acc);
        acc.intoArray(lanes, 0);
        float dot = Elementwise.addLanes(lanes);
        for (; j < cols; j++) dot += p[pr + j] * ds[dr + j];
        for (j = 0; j < upper; j += VL) {
            FloatVector pv = FloatVector.fromArray(S, p, pr + j).mul(scale);
            FloatVector.fromArray(S, ds, dr + j).sub(dot).mul(pv).intoArray(ds, dr + j);
        }
        for (; j < cols; j++) ds[dr + j] = (ds[dr + j] - dot) * (p[pr + j] * scale);
        java.util.Arrays.fill(ds, dr + cols, dr + tk, 0f);
    }
}
