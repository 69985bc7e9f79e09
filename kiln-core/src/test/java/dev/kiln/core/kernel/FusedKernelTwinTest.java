package dev.kiln.core.kernel;

import static dev.kiln.core.kernel.KernelTwinTest.assertUntouchedOutside;
import static dev.kiln.core.kernel.KernelTwinTest.random;
import static dev.kiln.core.kernel.KernelTwinTest.sentinels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.core.Rng;
import org.junit.jupiter.api.Test;

/**
 * Fast/scalar twin contract for {@link FusedKernels}: odd row lengths (vector tail), unaligned offsets, and
 * sentinels around every output range.
 */
class FusedKernelTwinTest {
    static final int[] COLS = {1, 7, 10, 16, 17, 33, 130};
    static final int[] ROWS = {0, 1, 3, 5};
    static final int[][] OFFSETS = {{0, 0}, {3, 5}, {1, 0}};

    static void close(float[] fast, float[] slow, double tol) {
        for (int i = 0; i < fast.length; i++) {
            if (fast[i] == KernelTwinTest.SENTINEL) assertThat(slow[i]).isEqualTo(KernelTwinTest.SENTINEL);
            else assertThat(fast[i]).as("element %d", i).isCloseTo(slow[i], within((float) (tol * Math.max(1, Math.abs(slow[i])))));
        }
    }

    @Test
    void softmaxForwardAndBackwardMatchScalarTwin() {
        Rng rng = new Rng(11);
        for (int cols : COLS) {
            for (int rows : ROWS) {
                for (int[] off : OFFSETS) {
                    int n = rows * cols;
                    float[] x = random(rng, n + off[0] + 3, -30, 30);
                    float[] yf = sentinels(n + off[1] + 3), ys = sentinels(n + off[1] + 3);
                    FusedKernels.softmax(x, off[0], rows, cols, yf, off[1]);
                    FusedKernels.softmaxScalar(Buf.of(x), off[0], rows, cols, Buf.of(ys), off[1]);
                    assertUntouchedOutside(yf, off[1], off[1] + n);
                    close(yf, ys, 1e-5);

                    // the probabilities are softmaxXent's, bit for bit (a loss that reads the logits sees the same softmax)
                    int[] labels = new int[rows];
                    float[] probs = new float[n + off[1]], loss = new float[rows];
                    FusedKernels.softmaxXent(x, off[0], rows, cols, labels, probs, off[1], loss, 0);
                    for (int i = 0; i < n; i++) assertThat(yf[off[1] + i]).isEqualTo(probs[off[1] + i]);

                    float[] dy = random(rng, n + off[0] + 2, -2, 2);
                    float[] df = sentinels(n + off[1] + 3), ds = sentinels(n + off[1] + 3);
                    FusedKernels.softmaxBackward(yf, off[1], dy, off[0], rows, cols, df, off[1]);
                    FusedKernels.softmaxBackwardScalar(Buf.of(yf), off[1], Buf.of(dy), off[0], rows, cols, Buf.of(ds), off[1]);
                    assertUntouchedOutside(df, off[1], off[1] + n);
                    close(df, ds, 1e-5);
                }
            }
        }
    }

    @Test
    void binaryXentFromLogitsMatchesScalarTwinAndStaysFinite() {
        Rng rng = new Rng(12);
        for (int cols : new int[] {1, 3, 17}) {
            for (int rows : ROWS) {
                for (int[] off : OFFSETS) {
                    int n = rows * cols;
                    float[] z = random(rng, n + off[0] + 3, -40, 40);
                    float[] t = random(rng, n + off[0] + 3, 0, 1);
                    float[] lf = sentinels(rows + off[1] + 2), ls = sentinels(rows + off[1] + 2);
                    FusedKernels.binaryXentLogits(z, off[0], t, off[0], rows, cols, lf, off[1]);
                    FusedKernels.binaryXentLogitsScalar(Buf.of(z), off[0], Buf.of(t), off[0], rows, cols, Buf.of(ls), off[1]);
                    assertUntouchedOutside(lf, off[1], off[1] + rows);
                    close(lf, ls, 1e-6);
                    for (int r = 0; r < rows; r++) assertThat(Float.isFinite(lf[off[1] + r])).isTrue();

                    float[] scale = random(rng, rows + off[0], -2, 2);
                    float[] df = sentinels(n + off[1] + 3), ds = sentinels(n + off[1] + 3);
                    FusedKernels.binaryXentLogitsBackward(z, off[0], t, off[0], rows, cols, scale, off[0], 1, df, off[1]);
                    FusedKernels.binaryXentLogitsBackwardScalar(Buf.of(z), off[0], Buf.of(t), off[0], rows, cols, Buf.of(scale), off[0], 1,
                            Buf.of(ds), off[1]);
                    assertUntouchedOutside(df, off[1], off[1] + n);
                    close(df, ds, 1e-6);
                }
            }
        }
        // the stable form at the extremes: a confident mistake costs |z|, a confident hit nearly 0
        float[] loss = new float[2];
        FusedKernels.binaryXentLogits(new float[] {100, -100}, 0, new float[] {0, 0}, 0, 2, 1, loss, 0);
        assertThat(loss[0]).isEqualTo(100f);
        assertThat(loss[1]).isBetween(0f, 1e-40f);   // log1p(e^-100) ≈ 3.7e-44: a subnormal float, not 0
    }

    @Test
    void softmaxXentForwardAndBackwardMatchScalarTwin() {
        Rng rng = new Rng(7);
        for (int cols : COLS) {
            for (int rows : ROWS) {
                for (int[] off : OFFSETS) {
                    int n = rows * cols;
                    float[] x = random(rng, n + off[0] + 3, -30, 30);
                    int[] labels = new int[rows];
                    for (int r = 0; r < rows; r++) labels[r] = (int) rng.uniform(0, cols);
                    float[] pf = sentinels(n + off[1] + 3), ps = sentinels(n + off[1] + 3);
                    float[] lf = sentinels(rows + off[1] + 2), ls = sentinels(rows + off[1] + 2);
                    FusedKernels.softmaxXent(x, off[0], rows, cols, labels, pf, off[1], lf, off[1]);
                    FusedKernels.softmaxXentScalar(Buf.of(x), off[0], rows, cols, labels, Buf.of(ps), off[1], Buf.of(ls), off[1]);
                    assertUntouchedOutside(pf, off[1], off[1] + n);
                    assertUntouchedOutside(lf, off[1], off[1] + rows);
                    close(pf, ps, 1e-5);
                    close(lf, ls, 1e-5);

                    float[] scale = random(rng, rows + off[0], -2, 2);
                    float[] df = sentinels(n + off[1] + 3), ds = sentinels(n + off[1] + 3);
                    FusedKernels.softmaxXentBackward(pf, off[1], rows, cols, labels, scale, off[0], 1, df, off[1]);
                    FusedKernels.softmaxXentBackwardScalar(Buf.of(pf), off[1], rows, cols, labels, Buf.of(scale), off[0], 1, Buf.of(ds), off[1]);
                    assertUntouchedOutside(df, off[1], off[1] + n);
                    close(df, ds, 1e-6);
                    // broadcast scale (stride 0)
                    FusedKernels.softmaxXentBackward(pf, off[1], rows, cols, labels, scale, 0, 0, df, off[1]);
                    FusedKernels.softmaxXentBackwardScalar(Buf.of(pf), off[1], rows, cols, labels, Buf.of(scale), 0, 0, Buf.of(ds), off[1]);
                    close(df, ds, 1e-6);
                }
            }
        }
    }

    @Test
    void softmaxXentIsStableForHugeLogits() {
        float[] x = {1e30f, -1e30f, 0f, 88f, 89f, 1000f};
        float[] p = new float[6], l = new float[2];
        FusedKernels.softmaxXent(x, 0, 2, 3, new int[] {1, 2}, p, 0, l, 0);
        for (float v : p) assertThat(Float.isFinite(v)).isTrue();
        assertThat(l[0]).isEqualTo(2e30f);
        assertThat(l[1]).isCloseTo(0f, within(1e-6f));
    }

    @Test
    void biasReluAndItsBackwardMatchScalarTwin() {
        Rng rng = new Rng(11);
        for (int cols : COLS) {
            for (int rows : ROWS) {
                for (int[] off : OFFSETS) {
                    for (boolean relu : new boolean[] {false, true}) {
                        for (boolean bias : new boolean[] {false, true}) {
                            int n = rows * cols;
                            float[] y0 = random(rng, n + off[1] + 3, -2, 2);
                            for (int i = 0; i < y0.length; i++) if (i < off[1] || i >= off[1] + n) y0[i] = KernelTwinTest.SENTINEL;
                            if (n > 2) y0[off[1] + 1] = 0f;   // the kink
                            float[] b = bias ? random(rng, cols + off[0], -1, 1) : null;
                            float[] yf = y0.clone(), ys = y0.clone();
                            FusedKernels.biasRelu(yf, off[1], rows, cols, b, off[0], relu);
                            FusedKernels.biasReluScalar(Buf.of(ys), off[1], rows, cols, b == null ? null : Buf.of(b), off[0], relu);
                            assertUntouchedOutside(yf, off[1], off[1] + n);
                            close(yf, ys, 0);

                            float[] g = random(rng, n + off[0], -2, 2);
                            float[] zf = sentinels(n + off[1] + 3), zs = sentinels(n + off[1] + 3);
                            float[] bf = bias ? sentinels(cols + off[1] + 2) : null, bs = bias ? sentinels(cols + off[1] + 2) : null;
                            if (bias) {
                                for (int j = 0; j < cols; j++) bf[off[1] + j] = bs[off[1] + j] = 0.5f;
                            }
                            FusedKernels.reluMaskColumnSum(g, off[0], yf, off[1], rows, cols, relu, zf, off[1], bf, off[1]);
                            FusedKernels.reluMaskColumnSumScalar(Buf.of(g), off[0], Buf.of(yf), off[1], rows, cols, relu, Buf.of(zs), off[1],
                                    bias ? Buf.of(bs) : null, off[1]);
                            assertUntouchedOutside(zf, off[1], off[1] + n);
                            close(zf, zs, 0);
                            if (bias) {
                                assertUntouchedOutside(bf, off[1], off[1] + cols);
                                close(bf, bs, 1e-5);
                            }
                        }
                    }
                }
            }
        }
    }
}
