package dev.kiln.core.kernel;

import static dev.kiln.core.kernel.FusedKernelTwinTest.close;
import static dev.kiln.core.kernel.KernelTwinTest.assertUntouchedOutside;
import static dev.kiln.core.kernel.KernelTwinTest.random;
import static dev.kiln.core.kernel.KernelTwinTest.sentinels;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * Fast/scalar twin contract for {@link TransformerKernels} and {@link AttentionKernels}: odd widths (vector tails),
 * unaligned offsets, sentinels around every output range; and the stated accuracy of the polynomial exp.
 */
class TransformerKernelTwinTest {
    static final int[] COLS = {1, 7, 16, 17, 33, 130};

    @Test
    void polynomialExpIsWithinItsStatedBoundOfMathExpInBothForms() {
        float[] x = new float[200_003];
        for (int i = 0; i < x.length; i++) x[i] = -87f + 175f * i / (x.length - 1);
        float[] lanes = new float[FloatVector.SPECIES_PREFERRED.length()];
        for (int i = 0; i + lanes.length <= x.length; i += lanes.length) {
            // the vector form: the softmax row's exp, shifted by 0 (exact), one vector in place
            System.arraycopy(x, i, lanes, 0, lanes.length);
            TransformerKernels.expShiftedSum(lanes, 0, lanes.length, 0f, null, 0, new float[lanes.length]);
            for (int l = 0; l < lanes.length; l++) {
                double ref = Math.exp(x[i + l]);
                assertThat(Math.abs(lanes[l] - ref)).as("exp(%s)", x[i + l]).isLessThanOrEqualTo(4e-7 * ref);
                assertThat(lanes[l]).as("vector and scalar forms agree bit for bit").isEqualTo(TransformerKernels.exp(x[i + l]));
            }
        }
        assertThat(TransformerKernels.exp(0f)).isEqualTo(1f);
        assertThat(TransformerKernels.exp(Float.NEGATIVE_INFINITY)).isBetween(0f, 2e-38f);
        assertThat(TransformerKernels.exp(1000f)).isFinite();
    }

    @Test
    void geluAndItsBackwardMatchScalarTwin() {
        Rng rng = new Rng(1);
        for (int n : new int[] {1, 7, 16, 17, 33, 130, 100_003}) {   // the last is split across threads
            for (int[] off : new int[][] {{0, 0}, {3, 5}}) {
                float[] x = random(rng, n + off[0], -12, 12), dy = random(rng, n + off[0], -2, 2);
                float[] yf = sentinels(n + off[1] + 2), ys = sentinels(n + off[1] + 2);
                TransformerKernels.gelu(x, off[0], yf, off[1], n);
                ScalarTransformer.gelu(Buf.of(x), off[0], Buf.of(ys), off[1], n);
                assertUntouchedOutside(yf, off[1], off[1] + n);
                close(yf, ys, 2e-6);
                TransformerKernels.geluBackward(x, off[0], dy, off[0], yf, off[1], n);
                ScalarTransformer.geluBackward(Buf.of(x), off[0], Buf.of(dy), off[0], Buf.of(ys), off[1], n);
                close(yf, ys, 4e-6);
            }
        }
    }

    @Test
    void layerNormAndItsBackwardMatchScalarTwin() {
        Rng rng = new Rng(2);
        for (int cols : COLS) {
            for (int rows : new int[] {1, 3, 300}) {   // 300: several row blocks, split across threads
                int n = rows * cols, o = 3;
                float[] x = random(rng, n + o, -3, 5), gamma = random(rng, cols + 1, 0.5, 1.5), beta = random(rng, cols + 1, -1, 1);
                float[] yf = sentinels(n + o + 2), ys = sentinels(n + o + 2);
                float[] mf = new float[rows + 1], rf = new float[rows + 1], ms = new float[rows + 1], rs = new float[rows + 1];
                TransformerKernels.layerNorm(x, o, rows, cols, gamma, 1, beta, 1, 1e-5f, yf, o, mf, rf, 1);
                ScalarTransformer.layerNorm(Buf.of(x), o, rows, cols, Buf.of(gamma), 1, Buf.of(beta), 1, 1e-5, Buf.of(ys), o, Buf.of(ms), Buf.of(rs), 1);
                assertUntouchedOutside(yf, o, o + n);
                close(yf, ys, 1e-5);
                close(rf, rs, 1e-5);
                float[] dy = random(rng, n + o, -1, 1);
                float[] dxf = sentinels(n + o + 2), dxs = sentinels(n + o + 2);
                float[] dgf = random(rng, cols, -1, 1), dgs = dgf.clone(), dbf = random(rng, cols, -1, 1), dbs = dbf.clone();
                TransformerKernels.layerNormBackward(x, o, rows, cols, gamma, 1, mf, rf, 1, dy, o, dxf, o, dgf, 0, dbf, 0);
                ScalarTransformer.layerNormBackward(Buf.of(x), o, rows, cols, Buf.of(gamma), 1, Buf.of(mf), Buf.of(rf), 1, Buf.of(dy), o,
                        Buf.of(dxs), o, Buf.of(dgs), 0, Buf.of(dbs), 0);
                assertUntouchedOutside(dxf, o, o + n);
                close(dxf, dxs, 1e-4);
                close(dgf, dgs, 1e-5);
                close(dbf, dbs, 1e-5);
            }
        }
    }

    @Test
    void attentionForwardAndBackwardMatchScalarTwin() {
        Rng rng = new Rng(3);
        // b, h, tq, tk, dk, causal, masked
        int[][] cases = {{2, 2, 5, 5, 3, 0, 0}, {1, 3, 45, 45, 17, 1, 0}, {2, 1, 33, 70, 8, 1, 0}, {2, 2, 9, 9, 5, 1, 1},
                {2, 2, 40, 40, 16, 0, 1}, {1, 2, 1, 37, 4, 1, 0}};
        for (int[] c : cases) {
            int b = c[0], h = c[1], tq = c[2], tk = c[3], dk = c[4], hd = h * dk, o = 5;
            boolean causal = c[5] == 1;
            float[] keep = null;
            if (c[6] == 1) {
                keep = new float[b * tk + 2];
                for (int i = 0; i < keep.length; i++) keep[i] = rng.uniform() < 0.3 ? 0 : 1;
                keep[2] = 0;   // the first query of the first sequence sees no key under the causal mask
            }
            float[] q = random(rng, b * tq * hd + o, -2, 2), k = random(rng, b * tk * hd + o, -2, 2), v = random(rng, b * tk * hd + o, -2, 2);
            int np = b * h * tq * tk, no = b * tq * hd, nk = b * tk * hd;
            float[] pf = sentinels(np + o + 1), ps = sentinels(np + o + 1), of = sentinels(no + o + 1), os = sentinels(no + o + 1);
            float scale = (float) (1 / Math.sqrt(dk));
            AttentionKernels.forward(b, h, tq, tk, dk, causal, scale, keep, 2, hd, hd, q, o, k, o, v, o, pf, o, of, o);
            ScalarAttention.forward(b, h, tq, tk, dk, causal, scale, keep == null ? null : Buf.of(keep), 2, hd, hd, Buf.of(q), o, Buf.of(k), o,
                    Buf.of(v), o, Buf.of(ps), o, Buf.of(os), o);
            assertUntouchedOutside(pf, o, o + np);
            assertUntouchedOutside(of, o, o + no);
            close(pf, ps, 2e-6);
            close(of, os, 2e-5);
            float[] g = random(rng, no + o, -1, 1);
            float[] dqf = sentinels(no + o + 1), dqs = sentinels(no + o + 1);
            float[] dkf = sentinels(nk + o + 1), dks = sentinels(nk + o + 1), dvf = sentinels(nk + o + 1), dvs = sentinels(nk + o + 1);
            AttentionKernels.backward(b, h, tq, tk, dk, causal, scale, keep, 2, hd, hd, q, o, k, o, v, o, pf, o, g, o, dqf, o, dkf, o, dvf, o);
            ScalarAttention.backward(b, h, tq, tk, dk, causal, scale, keep == null ? null : Buf.of(keep), 2, hd, hd, Buf.of(q), o, Buf.of(k), o,
                    Buf.of(v), o, Buf.of(pf), o, Buf.of(g), o, Buf.of(dqs), o, Buf.of(dks), o, Buf.of(dvs), o);
            assertUntouchedOutside(dqf, o, o + no);
            assertUntouchedOutside(dkf, o, o + nk);
            assertUntouchedOutside(dvf, o, o + nk);
            close(dqf, dqs, 5e-5);
            close(dkf, dks, 5e-5);
            close(dvf, dvs, 5e-5);
        }
    }

    @Test
    void packedAttentionMatchesScalarTwin() {
        Rng rng = new Rng(4);
        for (int[] c : new int[][] {{2, 2, 37, 5, 1}, {1, 4, 70, 8, 1}, {2, 3, 9, 3, 0}}) {
            int b = c[0], h = c[1], t = c[2], dk = c[3], hd = h * dk, ld = 3 * hd, o = 2, n = b * t * ld;
            boolean causal = c[4] == 1;
            float scale = (float) (1 / Math.sqrt(dk));
            float[] qkv = random(rng, n + o, -2, 2);
            int np = b * h * t * t;
            float[] pf = sentinels(np + o), ps = sentinels(np + o), of = sentinels(b * t * hd + o), os = sentinels(b * t * hd + o);
            AttentionKernels.forward(b, h, t, t, dk, causal, scale, null, 0, ld, ld, qkv, o, qkv, o + hd, qkv, o + 2 * hd, pf, o, of, o);
            ScalarAttention.forward(b, h, t, t, dk, causal, scale, null, 0, ld, ld, Buf.of(qkv), o, Buf.of(qkv), o + hd, Buf.of(qkv), o + 2 * hd,
                    Buf.of(ps), o, Buf.of(os), o);
            close(pf, ps, 2e-6);
            close(of, os, 2e-5);
            float[] g = random(rng, b * t * hd + o, -1, 1);
            float[] df = sentinels(n + o + 1), dsl = sentinels(n + o + 1);
            AttentionKernels.backward(b, h, t, t, dk, causal, scale, null, 0, ld, ld, qkv, o, qkv, o + hd, qkv, o + 2 * hd, pf, o, g, o,
                    df, o, df, o + hd, df, o + 2 * hd);
            ScalarAttention.backward(b, h, t, t, dk, causal, scale, null, 0, ld, ld, Buf.of(qkv), o, Buf.of(qkv), o + hd, Buf.of(qkv), o + 2 * hd,
                    Buf.of(pf), o, Buf.of(g), o, Buf.of(dsl), o, Buf.of(dsl), o + hd, Buf.of(dsl), o + 2 * hd);
            assertUntouchedOutside(df, o, o + n);
            close(df, dsl, 5e-5);
        }
    }
}
