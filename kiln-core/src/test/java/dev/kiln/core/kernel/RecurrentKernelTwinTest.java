package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Twin contract: {@link RecurrentKernels} (one GEMM per step, batch rows split across threads, gate math through
 * {@link FastMath}) against {@link ScalarRecurrent} in double, on odd sizes (units and features not a multiple of
 * the vector length, batch not a multiple of the micro-tile), unaligned input offsets, masks and both kinds of
 * output gradient. The kernels take dense arrays; strided inputs are made dense by the op.
 */
class RecurrentKernelTwinTest {
    static float[] random(Rng rng, int n, int offset, double scale) {
        float[] a = new float[n + offset + 3];
        Arrays.fill(a, -12345.5f);   // sentinels around the data: a read outside it shows up as a huge error
        for (int i = 0; i < n; i++) a[offset + i] = (float) (scale * rng.uniform(-1, 1));
        return a;
    }

    static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static void assertClose(float[] fast, double[] slow, double tol, String what) {
        assertThat(fast.length).as(what).isEqualTo(slow.length);
        for (int i = 0; i < fast.length; i++) {
            assertThat(Math.abs(fast[i] - slow[i])).as("%s at %d: %s vs %s", what, i, fast[i], slow[i]).isLessThanOrEqualTo(tol * (1 + Math.abs(slow[i])));
        }
    }

    /** The fast LSTM kernels' public results for one random problem (the saved buffers are internal layout). */
    record LstmRun(float[] last, float[] seq, float[] gates, float[] dx, float[] dW, float[] dBias, float[] dR, float[] dh0, float[] dc0) {}

    static LstmRun fastLstm(int t, int b, int f, int u, int off, float[] x, float[] w, float[] bias, float[] r, float[] h0, float[] c0,
                            float[] keep, float[] dSeq, float[] dLast) {
        int g4 = 4 * u, k = RecurrentKernels.lstmRowWidth(f, u);
        float[] hx = new float[t * b * k], cs = new float[t * b * u], gates = new float[t * b * g4];
        float[] last = new float[b * 2 * u], seq = new float[t * b * 2 * u];
        RecurrentKernels.lstmForward(t, b, f, u, x, off, w, off + 1, bias, off + 3, r, off + 2, h0, off, c0, off + 1, keep, hx, cs, gates, last, seq);
        float[] activated = gates.clone();
        float[] dx = new float[b * t * f], dW = new float[f * g4], dBias = new float[g4], dR = new float[u * g4], dh0 = new float[b * u], dc0 = new float[b * u];
        float[] hxT = new float[t * b * k];
        RecurrentKernels.lstmBackward(t, b, f, u, w, off + 1, r, off + 2, c0, off + 1, keep, hx, cs, gates, hxT, dSeq, dLast, dx, dW, dBias, dR, dh0, dc0);
        return new LstmRun(last, seq, activated, dx, dW, dBias, dR, dh0, dc0);
    }

    @ParameterizedTest(name = "T={0} B={1} F={2} U={3} offset={4} masked={5} dSeq={6} dLast={7}")
    @CsvSource({
            "1, 1, 1, 1, 0, false, true, false",
            "5, 3, 2, 7, 1, true, true, false",
            "9, 7, 5, 17, 3, true, false, true",
            "4, 13, 16, 33, 5, false, true, true",
            "6, 2, 3, 64, 0, true, true, false",
            "3, 20, 9, 40, 2, true, false, true",
            "6, 26, 9, 64, 1, true, true, true"})   // large enough to split the batch across threads
    void fastMatchesScalar(int t, int b, int f, int u, int off, boolean masked, boolean withSeq, boolean withLast) {
        Rng rng = new Rng(1000L * t + 10L * u + b);
        int g4 = 4 * u;
        float[] x = random(rng, b * t * f, off, 2), w = random(rng, f * g4, off + 1, 0.6), bias = random(rng, g4, off + 3, 0.5);
        float[] r = random(rng, u * g4, off + 2, 0.5), h0 = random(rng, b * u, off, 0.5), c0 = random(rng, b * u, off + 1, 1);
        float[] dSeq = withSeq ? random(rng, t * b * 2 * u, 0, 1) : null, dLast = withLast ? random(rng, b * 2 * u, 0, 1) : null;
        if (dSeq != null) dSeq = Arrays.copyOf(dSeq, t * b * 2 * u);
        if (dLast != null) dLast = Arrays.copyOf(dLast, b * 2 * u);
        float[] keep = null;
        if (masked) {
            keep = new float[t * b];
            for (int i = 0; i < keep.length; i++) keep[i] = rng.uniform() < 0.3 ? 0 : 1;
        }
        LstmRun fast = fastLstm(t, b, f, u, off, x, w, bias, r, h0, c0, keep, dSeq, dLast);

        double[] sSeq = new double[t * b * 2 * u], sGates = new double[t * b * g4];
        ScalarRecurrent.lstmForward(t, b, f, u, Buf.of(widen(x)), off, Buf.of(widen(w)), off + 1, Buf.of(widen(bias)), off + 3, Buf.of(widen(r)), off + 2,
                Buf.of(widen(h0)), off, Buf.of(widen(c0)), off + 1, keep, Buf.of(sSeq), Buf.of(sGates));
        double[] sdx = new double[b * t * f], sdW = new double[f * g4], sdBias = new double[g4], sdR = new double[u * g4];
        double[] sdh0 = new double[b * u], sdc0 = new double[b * u];
        ScalarRecurrent.lstmBackward(t, b, f, u, Buf.of(widen(x)), off, Buf.of(widen(w)), off + 1, Buf.of(widen(r)), off + 2, Buf.of(widen(h0)), off,
                Buf.of(widen(c0)), off + 1, keep, Buf.of(sSeq), Buf.of(sGates), dSeq == null ? null : Buf.of(widen(dSeq)),
                dLast == null ? null : Buf.of(widen(dLast)), Buf.of(sdx), Buf.of(sdW), Buf.of(sdBias), Buf.of(sdR), Buf.of(sdh0), Buf.of(sdc0));

        double tol = 1e-4;
        assertClose(fast.seq(), sSeq, tol, "seq");
        assertClose(fast.last(), Arrays.copyOfRange(sSeq, (t - 1) * b * 2 * u, t * b * 2 * u), tol, "last");
        assertClose(fast.gates(), sGates, tol, "gates");
        assertClose(fast.dx(), sdx, tol, "dx");
        assertClose(fast.dW(), sdW, tol, "dW");
        assertClose(fast.dBias(), sdBias, tol, "dBias");
        assertClose(fast.dR(), sdR, tol, "dR");
        assertClose(fast.dh0(), sdh0, tol, "dh0");
        assertClose(fast.dc0(), sdc0, tol, "dc0");
    }

    /**
     * Rows of the batch are independent and every element is computed by the same expression whatever the thread
     * split: a batch run whole (split across threads) gives, bit for bit, what each of its rows gives alone (never
     * split), so results cannot depend on the thread count.
     */
    @Test
    void batchSplitDoesNotChangeABit() {
        int t = 7, b = 26, f = 9, u = 64, g4 = 4 * u;
        Rng rng = new Rng(99);   // offsets as fastLstm reads them with off = 0: w at 1, bias at 3, r at 2, c0 at 1
        float[] x = random(rng, b * t * f, 0, 2), w = random(rng, f * g4, 1, 0.6), bias = random(rng, g4, 3, 0.5), r = random(rng, u * g4, 2, 0.5);
        float[] h0 = random(rng, b * u, 0, 0.5), c0 = random(rng, b * u, 1, 1), dLast = Arrays.copyOf(random(rng, b * 2 * u, 0, 1), b * 2 * u);
        LstmRun whole = fastLstm(t, b, f, u, 0, x, w, bias, r, h0, c0, null, null, dLast);
        for (int row : new int[] {0, 5, 6, 13, 25}) {
            LstmRun one = fastLstm(t, 1, f, u, 0, Arrays.copyOfRange(x, row * t * f, (row + 1) * t * f), w, bias, r,
                    Arrays.copyOfRange(h0, row * u, (row + 1) * u), Arrays.copyOfRange(c0, row * u, 1 + (row + 1) * u), null, null,
                    Arrays.copyOfRange(dLast, row * 2 * u, (row + 1) * 2 * u));
            assertThat(one.last()).as("last, row %d", row).containsExactly(Arrays.copyOfRange(whole.last(), row * 2 * u, (row + 1) * 2 * u));
            assertThat(one.dx()).as("dx, row %d", row).containsExactly(Arrays.copyOfRange(whole.dx(), row * t * f, (row + 1) * t * f));
            assertThat(one.dh0()).as("dh0, row %d", row).containsExactly(Arrays.copyOfRange(whole.dh0(), row * u, (row + 1) * u));
            assertThat(one.dc0()).as("dc0, row %d", row).containsExactly(Arrays.copyOfRange(whole.dc0(), row * u, (row + 1) * u));
        }
    }

    @ParameterizedTest(name = "GRU T={0} B={1} U={2} offset={3} masked={4}")
    @CsvSource({
            "1, 1, 1, 0, false",
            "5, 3, 7, 1, true",
            "9, 7, 17, 3, true",
            "4, 13, 33, 5, false",
            "3, 20, 40, 2, true",
            "6, 26, 64, 1, true"})   // large enough to split the batch across threads
    void gruFastMatchesScalar(int t, int b, int u, int off, boolean masked) {
        Rng rng = new Rng(7000L * t + 10L * u + b);
        int g3 = 3 * u;
        float[] proj = random(rng, t * b * g3, off, 2), r = random(rng, u * g3, off + 1, 0.5), rb = random(rng, g3, off + 3, 0.5);
        float[] h0 = random(rng, b * u, off + 2, 0.5), dOut = new float[t * b * u];
        for (int i = 0; i < dOut.length; i++) dOut[i] = (float) rng.uniform(-1, 1);
        float[] keep = null;
        if (masked) {
            keep = new float[t * b];
            for (int i = 0; i < keep.length; i++) keep[i] = rng.uniform() < 0.3 ? 0 : 1;
        }
        float[] out = new float[t * b * u], gates = new float[t * b * 4 * u];
        RecurrentKernels.gruForward(t, b, u, proj, off, r, off + 1, rb, off + 3, h0, off + 2, keep, out, gates);
        float[] dProj = new float[t * b * g3], dR = new float[u * g3], dRb = new float[g3], dh0 = new float[b * u];
        RecurrentKernels.gruBackward(t, b, u, r, off + 1, h0, off + 2, keep, out, gates, dOut, dProj, dR, dRb, dh0);

        double[] sOut = new double[out.length], sGates = new double[gates.length];
        ScalarRecurrent.gruForward(t, b, u, Buf.of(widen(proj)), off, Buf.of(widen(r)), off + 1, Buf.of(widen(rb)), off + 3, Buf.of(widen(h0)), off + 2,
                keep, Buf.of(sOut), Buf.of(sGates));
        double[] sdProj = new double[dProj.length], sdR = new double[dR.length], sdRb = new double[dRb.length], sdh0 = new double[dh0.length];
        ScalarRecurrent.gruBackward(t, b, u, Buf.of(widen(r)), off + 1, Buf.of(widen(h0)), off + 2, keep, Buf.of(sOut), Buf.of(sGates),
                Buf.of(widen(dOut)), Buf.of(sdProj), Buf.of(sdR), Buf.of(sdRb), Buf.of(sdh0));

        double tol = 1e-4;
        assertClose(out, sOut, tol, "out");
        assertClose(gates, sGates, tol, "gates");
        assertClose(dProj, sdProj, tol, "dProj");
        assertClose(dR, sdR, tol, "dR");
        assertClose(dRb, sdRb, tol, "dRb");
        assertClose(dh0, sdh0, tol, "dh0");
    }
}
