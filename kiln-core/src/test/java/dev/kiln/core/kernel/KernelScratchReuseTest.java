package dev.kiln.core.kernel;

import static dev.kiln.core.kernel.RecurrentKernelTwinTest.fastLstm;
import static dev.kiln.core.kernel.RecurrentKernelTwinTest.random;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The recurrent and attention kernels keep per-thread scratch arrays between calls, and a reused array is not zero
 * like a new one. Each test runs a problem, then a larger one whose inputs are all NaN (leaving NaN in every scratch
 * array it grew, on the caller and on the pool's workers), then the first problem again: the two runs must agree bit
 * for bit, which fails if any kernel reads a scratch element it did not write in the same call (NaN spreads).
 */
class KernelScratchReuseTest {
    private static float[] nan(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return a;
    }

    private static float[] keep(Rng rng, int n) {
        float[] keep = new float[n];
        for (int i = 0; i < n; i++) keep[i] = rng.uniform() < 0.3 ? 0 : 1;
        return keep;
    }

    private static List<float[]> lstm(int t, int b, int f, int u, long seed, boolean masked, boolean allSteps) {
        Rng rng = new Rng(seed);
        int g4 = 4 * u;
        float[] x = random(rng, b * t * f, 0, 2), w = random(rng, f * g4, 1, 0.6), bias = random(rng, g4, 3, 0.5), r = random(rng, u * g4, 2, 0.5);
        float[] h0 = random(rng, b * u, 0, 0.5), c0 = random(rng, b * u, 1, 1);
        float[] dSeq = allSteps ? random(rng, t * b * 2 * u, 0, 1) : null, dLast = allSteps ? null : random(rng, b * 2 * u, 0, 1);
        RecurrentKernelTwinTest.LstmRun run = fastLstm(t, b, f, u, 0, x, w, bias, r, h0, c0, masked ? keep(rng, t * b) : null, dSeq, dLast);
        return List.of(run.last(), run.seq(), run.gates(), run.dx(), run.dW(), run.dBias(), run.dR(), run.dh0(), run.dc0());
    }

    private static void poisonLstm() {
        int t = 9, b = 40, f = 21, u = 80, g4 = 4 * u, k = RecurrentKernels.lstmRowWidth(f, u);
        float[] keep = new float[t * b];
        Arrays.fill(keep, 1f);
        keep[3] = 0;   // a padded step: the masked path's scratch too
        float[] hx = new float[t * b * k], cs = new float[t * b * u], gates = new float[t * b * g4];
        RecurrentKernels.lstmForward(t, b, f, u, nan(b * t * f), 0, nan(f * g4), 0, nan(g4), 0, nan(u * g4), 0, nan(b * u), 0, nan(b * u), 0,
                keep, hx, cs, gates, new float[b * 2 * u], new float[t * b * 2 * u]);
        RecurrentKernels.lstmBackward(t, b, f, u, nan(f * g4), 0, nan(u * g4), 0, nan(b * u), 0, keep, hx, cs, gates, new float[t * b * k],
                nan(t * b * 2 * u), null, new float[b * t * f], new float[f * g4], new float[g4], new float[u * g4], new float[b * u], new float[b * u]);
    }

    private static void assertSame(List<float[]> first, List<float[]> again) {
        for (int i = 0; i < first.size(); i++) assertThat(again.get(i)).as("result %d", i).containsExactly(first.get(i));
    }

    @Test
    void lstmGivesTheSameBitsOnDirtyScratch() {
        // large enough that the batch is split across the pool's threads, so workers' scratch is reused too
        int[][] cases = {{6, 26, 9, 64, 1, 1}, {6, 26, 9, 64, 0, 0}, {5, 3, 2, 7, 1, 1}, {4, 13, 16, 33, 0, 1}};
        for (int[] c : cases) {
            List<float[]> first = lstm(c[0], c[1], c[2], c[3], 17 + c[3], c[4] == 1, c[5] == 1);
            poisonLstm();
            assertSame(first, lstm(c[0], c[1], c[2], c[3], 17 + c[3], c[4] == 1, c[5] == 1));
        }
    }

    private static List<float[]> gru(int t, int b, int u, long seed, boolean masked) {
        Rng rng = new Rng(seed);
        int g3 = 3 * u;
        float[] proj = random(rng, t * b * g3, 0, 2), r = random(rng, u * g3, 0, 0.5), rb = random(rng, g3, 0, 0.5), h0 = random(rng, b * u, 0, 0.5);
        float[] dOut = random(rng, t * b * u, 0, 1), keep = masked ? keep(rng, t * b) : null;
        float[] out = new float[t * b * u], gates = new float[t * b * 4 * u];
        RecurrentKernels.gruForward(t, b, u, proj, 0, r, 0, rb, 0, h0, 0, keep, out, gates);
        float[] dProj = new float[t * b * g3], dR = new float[u * g3], dRb = new float[g3], dh0 = new float[b * u];
        RecurrentKernels.gruBackward(t, b, u, r, 0, h0, 0, keep, out, gates, dOut, dProj, dR, dRb, dh0);
        return List.of(out, gates, dProj, dR, dRb, dh0);
    }

    @Test
    void gruGivesTheSameBitsOnDirtyScratch() {
        int[][] cases = {{6, 26, 64, 1}, {5, 3, 7, 1}, {4, 13, 33, 0}};
        for (int[] c : cases) {
            List<float[]> first = gru(c[0], c[1], c[2], 5 + c[2], c[3] == 1);
            int t = 8, b = 40, u = 80, g3 = 3 * u;
            float[] out = new float[t * b * u], gates = new float[t * b * 4 * u];
            RecurrentKernels.gruForward(t, b, u, nan(t * b * g3), 0, nan(u * g3), 0, nan(g3), 0, nan(b * u), 0, null, out, gates);
            RecurrentKernels.gruBackward(t, b, u, nan(u * g3), 0, nan(b * u), 0, null, out, gates, nan(t * b * u), new float[t * b * g3],
                    new float[u * g3], new float[g3], new float[b * u]);
            assertSame(first, gru(c[0], c[1], c[2], 5 + c[2], c[3] == 1));
        }
    }

    private static List<float[]> attention(int b, int h, int tq, int tk, int dk, boolean causal, boolean masked, long seed) {
        Rng rng = new Rng(seed);
        int hd = h * dk;
        float[] keep = null;
        if (masked) {
            keep = keep(rng, b * tk);
            keep[0] = 0;   // the first query sees no key under the causal mask: a dead row
        }
        float[] q = random(rng, b * tq * hd, 0, 2), k = random(rng, b * tk * hd, 0, 2), v = random(rng, b * tk * hd, 0, 2);
        float[] p = new float[b * h * tq * tk], out = new float[b * tq * hd], g = random(rng, b * tq * hd, 0, 1);
        float[] dq = new float[b * tq * hd], dkArr = new float[b * tk * hd], dv = new float[b * tk * hd];
        float scale = (float) (1 / Math.sqrt(dk));
        AttentionKernels.forward(b, h, tq, tk, dk, causal, scale, keep, 0, hd, hd, q, 0, k, 0, v, 0, p, 0, out, 0);
        AttentionKernels.backward(b, h, tq, tk, dk, causal, scale, keep, 0, hd, hd, q, 0, k, 0, v, 0, p, 0, g, 0, dq, 0, dkArr, 0, dv, 0);
        return List.of(p, out, dq, dkArr, dv);
    }

    @Test
    void attentionGivesTheSameBitsOnDirtyScratch() {
        // b, h, tq, tk, dk, causal, masked: enough heads and work that the pool's workers take some
        int[][] cases = {{2, 4, 45, 45, 17, 1, 0}, {2, 4, 40, 40, 16, 0, 1}, {2, 4, 33, 70, 8, 1, 1}, {2, 4, 33, 70, 8, 1, 0}, {1, 2, 9, 9, 5, 1, 0}};
        for (int[] c : cases) {
            List<float[]> first = attention(c[0], c[1], c[2], c[3], c[4], c[5] == 1, c[6] == 1, 11 + c[2]);
            int b = 2, h = 4, t = 96, dk = 24, hd = h * dk;
            float[] p = new float[b * h * t * t], out = new float[b * t * hd];
            AttentionKernels.forward(b, h, t, t, dk, false, 0.2f, null, 0, hd, hd, nan(b * t * hd), 0, nan(b * t * hd), 0, nan(b * t * hd), 0, p, 0, out, 0);
            AttentionKernels.backward(b, h, t, t, dk, false, 0.2f, null, 0, hd, hd, nan(b * t * hd), 0, nan(b * t * hd), 0, nan(b * t * hd), 0, p, 0,
                    nan(b * t * hd), 0, new float[b * t * hd], 0, new float[b * t * hd], 0, new float[b * t * hd], 0);
            assertSame(first, attention(c[0], c[1], c[2], c[3], c[4], c[5] == 1, c[6] == 1, 11 + c[2]));
        }
    }

    private static List<float[]> layerNormBackward(int rows, int cols, long seed) {
        Rng rng = new Rng(seed);
        float[] x = random(rng, rows * cols, 0, 2), gamma = random(rng, cols, 0, 1), beta = random(rng, cols, 0, 1), dy = random(rng, rows * cols, 0, 1);
        float[] y = new float[rows * cols], mean = new float[rows], rstd = new float[rows];
        TransformerKernels.layerNorm(x, 0, rows, cols, gamma, 0, beta, 0, 1e-5f, y, 0, mean, rstd, 0);
        float[] dx = new float[rows * cols], dGamma = new float[cols], dBeta = new float[cols];
        TransformerKernels.layerNormBackward(x, 0, rows, cols, gamma, 0, mean, rstd, 0, dy, 0, dx, 0, dGamma, 0, dBeta, 0);
        return List.of(dx, dGamma, dBeta);
    }

    @Test
    void layerNormBackwardGivesTheSameBitsOnDirtyScratch() {
        int[][] cases = {{700, 96}, {130, 33}, {5, 7}};   // the per-block partial sums are added into: they must start at zero
        for (int[] c : cases) {
            List<float[]> first = layerNormBackward(c[0], c[1], 3 + c[1]);
            int rows = 900, cols = 128;
            TransformerKernels.layerNormBackward(nan(rows * cols), 0, rows, cols, nan(cols), 0, nan(rows), nan(rows), 0, nan(rows * cols), 0,
                    new float[rows * cols], 0, new float[cols], 0, new float[cols], 0);
            assertSame(first, layerNormBackward(c[0], c[1], 3 + c[1]));
        }
    }
}
