package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Twin contract: {@link RecurrentKernels} (Gemm per step, threaded gate loops) against {@link ScalarRecurrent} in
 * double, on odd sizes (units not a multiple of the vector length, batch not a multiple of the micro-tile),
 * unaligned input offsets and masks. The kernels take dense arrays; strided inputs are made dense by the op.
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

    @ParameterizedTest(name = "T={0} B={1} U={2} offset={3} masked={4}")
    @CsvSource({
            "1, 1, 1, 0, false",
            "5, 3, 7, 1, true",
            "9, 7, 17, 3, true",
            "4, 13, 33, 5, false",
            "6, 2, 64, 0, true",
            "3, 20, 40, 2, true"})
    void fastMatchesScalar(int t, int b, int u, int off, boolean masked) {
        Rng rng = new Rng(1000L * t + 10L * u + b);
        int g4 = 4 * u;
        float[] proj = random(rng, t * b * g4, off, 2), r = random(rng, u * g4, off + 1, 0.5);
        float[] h0 = random(rng, b * u, off + 2, 0.5), c0 = random(rng, b * u, off, 1), dOut = new float[t * b * 2 * u];
        for (int i = 0; i < dOut.length; i++) dOut[i] = (float) rng.uniform(-1, 1);
        float[] keep = null;
        if (masked) {
            keep = new float[t * b];
            for (int i = 0; i < keep.length; i++) keep[i] = rng.uniform() < 0.3 ? 0 : 1;
        }
        float[] out = new float[t * b * 2 * u], gates = new float[t * b * g4];
        RecurrentKernels.lstmForward(t, b, u, proj, off, r, off + 1, h0, off + 2, c0, off, keep, out, gates);
        float[] dProj = new float[t * b * g4], dR = new float[u * g4], dh0 = new float[b * u], dc0 = new float[b * u];
        RecurrentKernels.lstmBackward(t, b, u, r, off + 1, h0, off + 2, c0, off, keep, out, gates, dOut, dProj, dR, dh0, dc0);

        double[] sOut = new double[out.length], sGates = new double[gates.length];
        ScalarRecurrent.lstmForward(t, b, u, Buf.of(widen(proj)), off, Buf.of(widen(r)), off + 1, Buf.of(widen(h0)), off + 2, Buf.of(widen(c0)), off,
                keep, Buf.of(sOut), Buf.of(sGates));
        double[] sdProj = new double[dProj.length], sdR = new double[dR.length], sdh0 = new double[dh0.length], sdc0 = new double[dc0.length];
        ScalarRecurrent.lstmBackward(t, b, u, Buf.of(widen(r)), off + 1, Buf.of(widen(h0)), off + 2, Buf.of(widen(c0)), off, keep,
                Buf.of(sOut), Buf.of(sGates), Buf.of(widen(dOut)), Buf.of(sdProj), Buf.of(sdR), Buf.of(sdh0), Buf.of(sdc0));

        double tol = 1e-4;
        assertClose(out, sOut, tol, "out");
        assertClose(gates, sGates, tol, "gates");
        assertClose(dProj, sdProj, tol, "dProj");
        assertClose(dR, sdR, tol, "dR");
        assertClose(dh0, sdh0, tol, "dh0");
        assertClose(dc0, sdc0, tol, "dc0");
    }

    @ParameterizedTest(name = "GRU T={0} B={1} U={2} offset={3} masked={4}")
    @CsvSource({
            "1, 1, 1, 0, false",
            "5, 3, 7, 1, true",
            "9, 7, 17, 3, true",
            "4, 13, 33, 5, false",
            "3, 20, 40, 2, true"})
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
