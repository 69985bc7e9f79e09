package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Twin contract: {@link ConvKernels} (chunked im2col + Gemm, fused bias/ReLU) and {@link PoolKernels} against the direct loops of
 * {@link ScalarConv} on odd sizes, strides, dilations, asymmetric padding, groups and unaligned offsets.
 * Sentinels around every output catch writes outside its range.
 */
class ConvKernelTwinTest {
    static final float SENTINEL = -12345.5f;

    /** batch, height, width, channels, kh, kw, filters, groups, sh, sw, dh, dw, padTop, padLeft (out sizes derived). */
    static Stream<Arguments> geometries() {
        return Stream.of(
                Arguments.of(geometry(2, 7, 9, 3, 3, 3, 5, 1, 1, 1, 1, 1, 0, 0)),      // valid
                Arguments.of(geometry(1, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, 1, 0, 0)),   // the tutorial's first layer
                Arguments.of(geometry(3, 6, 5, 17, 3, 3, 19, 1, 1, 1, 1, 1, 1, 1)),    // same, odd channel counts
                Arguments.of(geometry(2, 9, 8, 4, 3, 2, 6, 1, 2, 3, 1, 1, 1, 0)),      // strides (2, 3)
                Arguments.of(geometry(1, 10, 9, 3, 3, 3, 4, 1, 1, 1, 2, 3, 2, 3)),     // dilation (2, 3), padded
                Arguments.of(geometry(2, 6, 7, 6, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1)),      // depthwise
                Arguments.of(geometry(2, 5, 5, 8, 2, 2, 12, 4, 1, 2, 1, 1, 0, 0)),     // 4 groups
                Arguments.of(geometry(1, 1, 1, 33, 1, 1, 20, 1, 1, 1, 1, 1, 0, 0)),    // 1x1 over wider-than-a-vector channels
                Arguments.of(geometry(3, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, 1, 0, 0)),   // 2 row chunks (1024 + 1004), too small to split
                Arguments.of(geometry(20, 28, 28, 1, 3, 3, 8, 1, 1, 1, 1, 1, 0, 0)),   // 14 chunks in 8 weight-gradient segments
                Arguments.of(geometry(5, 13, 13, 32, 3, 3, 64, 1, 1, 1, 1, 1, 0, 0)),  // the second layer: chunks split across threads
                Arguments.of(geometry(1, 13, 13, 32, 3, 3, 64, 1, 1, 1, 1, 1, 0, 0)),  // one image, big enough to split its rows
                Arguments.of(geometry(3, 9, 9, 40, 3, 3, 24, 2, 1, 1, 1, 1, 1, 1)));   // 2 groups over several chunks
    }

    static ConvGeometry geometry(int b, int h, int w, int c, int kh, int kw, int f, int groups, int sh, int sw, int dh, int dw, int pt, int pl) {
        int oh = (h + 2 * pt - (kh - 1) * dh - 1) / sh + 1;
        int ow = (w + 2 * pl - (kw - 1) * dw - 1) / sw + 1;
        return new ConvGeometry(b, h, w, c, kh, kw, f, groups, sh, sw, dh, dw, pt, pl, oh, ow);
    }

    static float[] random(Rng rng, int n, int offset) {
        float[] a = new float[n + offset + 3];
        Arrays.fill(a, SENTINEL);
        for (int i = 0; i < n; i++) a[offset + i] = (float) rng.uniform(-1, 1);
        return a;
    }

    static float[] sentinels(int n) {
        float[] a = new float[n];
        Arrays.fill(a, SENTINEL);
        return a;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static void assertClose(float[] fast, double[] slow, int from, int to, double tol, String what) {
        for (int i = 0; i < fast.length; i++) {
            if (i < from || i >= to) {
                assertThat(fast[i]).as("%s: element %d outside the output range [%d, %d)", what, i, from, to).isEqualTo(SENTINEL);
            } else {
                assertThat((double) fast[i]).as("%s element %d", what, i).isCloseTo(slow[i], org.assertj.core.data.Offset.offset(tol * (1 + Math.abs(slow[i]))));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void convolutionForwardAndBothBackwardsMatchScalarTwin(ConvGeometry g) {
        Rng rng = new Rng(g.hashCode());
        int xo = 3, wo = 5, yo = 1;
        float[] x = random(rng, g.inputSize(), xo), w = random(rng, g.kernelSize(), wo), dy = random(rng, g.outputSize(), yo);
        float[] bias = random(rng, g.filters(), 2);

        float[] y = sentinels(g.outputSize() + yo + 2);
        ConvKernels.forward(g, x, xo, w, wo, y, yo);
        ConvKernels.addBias(y, yo, g.rows(), g.filters(), bias, 2, false);
        double[] yRef = new double[y.length];
        ScalarConv.forward(g, Buf.of(toDouble(x)), xo, Buf.of(toDouble(w)), wo, Buf.of(toDouble(bias)), 2, Buf.of(yRef), yo);
        assertClose(y, yRef, yo, yo + g.outputSize(), 1e-4, "forward");

        float[] dx = sentinels(g.inputSize() + 4);
        ConvKernels.backwardInput(g, dy, yo, w, wo, dx, 2);
        double[] dxRef = new double[dx.length];
        ScalarConv.backward(g, Buf.of(toDouble(x)), xo, Buf.of(toDouble(w)), wo, Buf.of(toDouble(dy)), yo, Buf.of(dxRef), 2, null, 0);
        assertClose(dx, dxRef, 2, 2 + g.inputSize(), 1e-4, "dX");

        float[] dw = sentinels(g.kernelSize() + 3);
        ConvKernels.backwardWeight(g, x, xo, dy, yo, dw, 1);
        double[] dwRef = new double[dw.length];
        ScalarConv.backward(g, Buf.of(toDouble(x)), xo, Buf.of(toDouble(w)), wo, Buf.of(toDouble(dy)), yo, null, 0, Buf.of(dwRef), 1);
        assertClose(dw, dwRef, 1, 1 + g.kernelSize(), 1e-4, "dW");
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void fusedForwardAndMaskedBackwardsMatchScalarComposition(ConvGeometry g) {
        Rng rng = new Rng(g.hashCode() + 1);
        float[] x = random(rng, g.inputSize(), 1), w = random(rng, g.kernelSize(), 2), dy = random(rng, g.outputSize(), 3);
        float[] bias = random(rng, g.filters(), 1);

        // forward with the bias + ReLU epilogue against scalar conv + bias, then max(·, 0)
        float[] y = sentinels(g.outputSize() + 4);
        ConvKernels.forward(g, x, 1, w, 2, bias, 1, true, y, 2);
        double[] yRef = new double[y.length];
        ScalarConv.forward(g, Buf.of(toDouble(x)), 1, Buf.of(toDouble(w)), 2, Buf.of(toDouble(bias)), 1, Buf.of(yRef), 2);
        for (int i = 2; i < 2 + g.outputSize(); i++) yRef[i] = Math.max(0, yRef[i]);
        assertClose(y, yRef, 2, 2 + g.outputSize(), 1e-4, "forward + bias + relu");
        float[] yNoBias = sentinels(g.outputSize() + 2);
        ConvKernels.forward(g, x, 1, w, 2, null, 0, true, yNoBias, 0);
        double[] yNoBiasRef = new double[yNoBias.length];
        ScalarConv.forward(g, Buf.of(toDouble(x)), 1, Buf.of(toDouble(w)), 2, null, 0, Buf.of(yNoBiasRef), 0);
        for (int i = 0; i < g.outputSize(); i++) yNoBiasRef[i] = Math.max(0, yNoBiasRef[i]);
        assertClose(yNoBias, yNoBiasRef, 0, g.outputSize(), 1e-4, "forward + relu");

        // backwards with the ReLU mask taken from y, against scalar reluBackward then the plain backward
        double[] dz = new double[g.outputSize()];
        ScalarConv.reluBackward(Buf.of(toDouble(dy)), 3, Buf.of(toDouble(y)), 2, Buf.of(dz), 0, g.outputSize());
        float[] dx = sentinels(g.inputSize() + 3);
        ConvKernels.backwardInput(g, dy, 3, y, 2, w, 2, dx, 1);
        double[] dxRef = new double[dx.length];
        ScalarConv.backward(g, null, 0, Buf.of(toDouble(w)), 2, Buf.of(dz), 0, Buf.of(dxRef), 1, null, 0);
        assertClose(dx, dxRef, 1, 1 + g.inputSize(), 1e-4, "masked dX");

        float[] dw = sentinels(g.kernelSize() + 2), db = sentinels(g.filters() + 3);
        ConvKernels.backwardWeight(g, x, 1, dy, 3, y, 2, dw, 1, db, 2);
        double[] dwRef = new double[dw.length], dbRef = new double[db.length];
        ScalarConv.backward(g, Buf.of(toDouble(x)), 1, Buf.of(toDouble(w)), 2, Buf.of(dz), 0, null, 0, Buf.of(dwRef), 1);
        for (int i = 0; i < g.outputSize(); i++) dbRef[2 + i % g.filters()] += dz[i];
        assertClose(dw, dwRef, 1, 1 + g.kernelSize(), 1e-4, "masked dW");
        assertClose(db, dbRef, 2, 2 + g.filters(), 1e-4, "masked db");

        // bias gradient without a mask
        float[] dw2 = new float[g.kernelSize()], db2 = new float[g.filters()];
        ConvKernels.backwardWeight(g, x, 1, dy, 3, null, 0, dw2, 0, db2, 0);
        for (int f = 0; f < g.filters(); f++) {
            double s = 0;
            for (int r = 0; r < g.rows(); r++) s += dy[3 + r * g.filters() + f];
            assertThat((double) db2[f]).as("db %d", f).isCloseTo(s, org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(s))));
        }
    }

    @ParameterizedTest
    @MethodSource("geometries")
    void fusedBiasReluMatchesBiasThenRelu(ConvGeometry g) {
        Rng rng = new Rng(11);
        float[] y = random(rng, g.outputSize(), 1), bias = random(rng, g.filters(), 0);
        float[] expected = y.clone();
        for (int r = 0; r < g.rows(); r++) {
            for (int f = 0; f < g.filters(); f++) expected[1 + r * g.filters() + f] = Math.max(0f, expected[1 + r * g.filters() + f] + bias[f]);
        }
        ConvKernels.addBias(y, 1, g.rows(), g.filters(), bias, 0, true);
        assertThat(y).containsExactly(expected);
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1, 15, 16, 17, 100, 40_000})
    void reluBackwardMatchesScalarTwin(int n) {
        Rng rng = new Rng(n);
        float[] dy = random(rng, n, 2), y = random(rng, n, 1);
        if (n > 3) y[1 + 2] = 0f;   // the kink: no gradient at exactly zero, like ReLU's backward
        float[] dz = sentinels(n + 4);
        ConvKernels.reluBackward(dy, 2, y, 1, dz, 3, n);
        double[] ref = new double[dz.length];
        ScalarConv.reluBackward(Buf.of(toDouble(dy)), 2, Buf.of(toDouble(y)), 1, Buf.of(ref), 3, n);
        assertClose(dz, ref, 3, 3 + n, 0, "dZ");
    }

    static Stream<Arguments> fusedPools() {
        return Stream.of(
                Arguments.of(geometry(3, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, 1, 0, 0), 2, 2),    // the tutorial's first pair (direct path)
                Arguments.of(geometry(2, 13, 13, 32, 3, 3, 64, 1, 1, 1, 1, 1, 0, 0), 2, 2),   // the second: 11 → 5 drops a row and a column
                Arguments.of(geometry(2, 9, 8, 12, 3, 3, 20, 1, 1, 1, 1, 1, 1, 1), 3, 2),     // padded (im2col path), 3x2 windows, ragged
                Arguments.of(geometry(2, 8, 8, 6, 3, 3, 6, 3, 1, 1, 1, 1, 0, 0), 2, 3));      // groups
    }

    @ParameterizedTest
    @MethodSource("fusedPools")
    void fusedReluMaxPoolMatchesScalarComposition(ConvGeometry g, int ph, int pw) {
        Rng rng = new Rng(g.hashCode() + ph);
        float[] x = random(rng, g.inputSize(), 2), w = random(rng, g.kernelSize(), 1), bias = random(rng, g.filters(), 3);
        ConvGeometry pg = new ConvGeometry(g.batch(), g.outH(), g.outW(), g.filters(), ph, pw, g.filters(), g.filters(), ph, pw, 1, 1, 0, 0,
                g.outH() / ph, g.outW() / pw);
        float[] dp = random(rng, pg.outputSize(), 1);

        // reference: scalar conv + bias, ReLU, scalar max pool; backward: pool backward, ReLU mask, conv backward
        double[] z = new double[g.outputSize()], pRef = new double[pg.outputSize()];
        ScalarConv.forward(g, Buf.of(toDouble(x)), 2, Buf.of(toDouble(w)), 1, Buf.of(toDouble(bias)), 3, Buf.of(z), 0);
        for (int i = 0; i < z.length; i++) z[i] = Math.max(0, z[i]);
        ScalarConv.pool(pg, false, Buf.of(z), 0, Buf.of(pRef), 0);
        double[] dz = new double[z.length];
        ScalarConv.poolBackward(pg, false, Buf.of(z), 0, Buf.of(pRef), 0, Buf.of(toDouble(dp)), 1, Buf.of(dz), 0);
        ScalarConv.reluBackward(Buf.of(dz.clone()), 0, Buf.of(z), 0, Buf.of(dz), 0, dz.length);
        double[] dxRef = new double[g.inputSize() + 1], dwRef = new double[g.kernelSize() + 2], dbRef = new double[g.filters() + 1];
        ScalarConv.backward(g, Buf.of(toDouble(x)), 2, Buf.of(toDouble(w)), 1, Buf.of(dz), 0, Buf.of(dxRef), 1, Buf.of(dwRef), 2);
        for (int i = 0; i < dz.length; i++) dbRef[1 + i % g.filters()] += dz[i];

        assertThat(ConvKernels.fusesMaxPool(g, ph, pw)).isTrue();
        float[] p = sentinels(pg.outputSize() + 3), idx = sentinels(pg.outputSize() + 3);
        ConvKernels.forwardReluMaxPool(g, x, 2, w, 1, bias, 3, ph, pw, p, 2, idx, 1);
        double[] pShifted = new double[p.length];
        System.arraycopy(pRef, 0, pShifted, 2, pRef.length);
        assertClose(p, pShifted, 2, 2 + pg.outputSize(), 1e-4, "pooled");

        float[] dx = sentinels(g.inputSize() + 2), dw = sentinels(g.kernelSize() + 3), db = sentinels(g.filters() + 2);
        ConvKernels.backwardReluMaxPool(g, x, 2, w, 1, ph, pw, p, 2, idx, 1, dp, 1, dx, 1, dw, 2, db, 1);
        assertClose(dx, dxRef, 1, 1 + g.inputSize(), 1e-4, "dX");
        assertClose(dw, dwRef, 2, 2 + g.kernelSize(), 1e-4, "dW");
        assertClose(db, dbRef, 1, 1 + g.filters(), 1e-4, "db");
    }

    static Stream<Arguments> pools() {
        return Stream.of(
                Arguments.of(poolGeometry(2, 6, 7, 3, 2, 2, 2, 2, 0, 0), true),
                Arguments.of(poolGeometry(2, 6, 7, 3, 2, 2, 2, 2, 0, 0), false),
                Arguments.of(poolGeometry(1, 7, 5, 35, 3, 3, 2, 2, 1, 1), true),   // same-style padding, channels past a vector
                Arguments.of(poolGeometry(1, 7, 5, 35, 3, 3, 2, 2, 1, 1), false),
                Arguments.of(poolGeometry(3, 5, 5, 16, 2, 3, 1, 1, 0, 1), true),
                Arguments.of(poolGeometry(3, 5, 5, 16, 2, 3, 1, 1, 0, 1), false),
                // every window inside and channels a multiple of the vector: the unmasked path
                Arguments.of(poolGeometry(3, 11, 11, 64, 2, 2, 2, 2, 0, 0), true),   // the tutorial's second pool (11 → 5 drops a row)
                Arguments.of(poolGeometry(3, 11, 11, 64, 2, 2, 2, 2, 0, 0), false),
                Arguments.of(poolGeometry(70, 26, 26, 32, 2, 2, 2, 2, 0, 0), false), // big enough to split across threads
                Arguments.of(poolGeometry(2, 7, 6, 16, 3, 3, 1, 1, 0, 0), true),     // overlapping windows
                Arguments.of(poolGeometry(2, 7, 6, 16, 3, 3, 1, 1, 0, 0), false));
    }

    static ConvGeometry poolGeometry(int b, int h, int w, int c, int kh, int kw, int sh, int sw, int pt, int pl) {
        int oh = (h + 2 * pt - kh) / sh + 1, ow = (w + 2 * pl - kw) / sw + 1;
        return new ConvGeometry(b, h, w, c, kh, kw, c, c, sh, sw, 1, 1, pt, pl, oh, ow);
    }

    @ParameterizedTest
    @MethodSource("pools")
    void poolingForwardAndBackwardMatchScalarTwin(ConvGeometry g, boolean average) {
        Rng rng = new Rng(5);
        int xo = 2, yo = 3;
        float[] x = random(rng, g.inputSize(), xo), dy = random(rng, g.outputSize(), 1);
        x[xo + 1] = x[xo + g.channels() + 1];   // a tie: both twins must send the gradient to the first position
        x[xo + 2] = x[xo + 2 + g.channels() * g.width()] = 2f;   // a tie across window rows
        float[] y = sentinels(g.outputSize() + yo + 1);
        PoolKernels.pool(g, average, x, xo, y, yo);
        double[] yRef = new double[y.length];
        ScalarConv.pool(g, average, Buf.of(toDouble(x)), xo, Buf.of(yRef), yo);
        assertClose(y, yRef, yo, yo + g.outputSize(), 1e-6, "pool");

        float[] dx = new float[g.inputSize() + 2];
        PoolKernels.poolBackward(g, average, x, xo, y, yo, dy, 1, dx, 1);
        double[] dxRef = new double[dx.length];
        ScalarConv.poolBackward(g, average, Buf.of(toDouble(x)), xo, Buf.of(yRef), yo, Buf.of(toDouble(dy)), 1, Buf.of(dxRef), 1);
        for (int i = 0; i < dx.length; i++) assertThat((double) dx[i]).as("dX element %d", i).isCloseTo(dxRef[i], org.assertj.core.data.Offset.offset(1e-5));
    }
}
