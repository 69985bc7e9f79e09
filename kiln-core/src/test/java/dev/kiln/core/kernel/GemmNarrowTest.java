package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import org.junit.jupiter.api.Test;

/**
 * The narrow paths of {@link Gemm} (N ≤ 16: {@link GemmNarrow}'s 8 × 2 lanes for an untransposed A and N ≤ 10; the
 * row tile's two overlapping 256-bit vectors, and {@link GemmColumns#narrow}'s column tile, in place for a
 * stored-transposed A or on 8×8-transposed panels) against the contract each keeps, written out literally here
 * ({@link #contract}): for GemmNarrow's products eight FMA chains over p mod 8 added in a fixed tree, for every other
 * tile one FMA chain over p = 0…K−1 from 0 (or from C). The bits must equal the contract's — for every N from 1 to 16,
 * ragged row counts, K past the K block, every layout, offsets and leading dimensions larger than the shape,
 * accumulating or not — and nothing outside C may be written. The values are also checked against the scalar twin, as
 * {@link KernelTwinTest} does.
 */
class GemmNarrowTest {
    private static final float SENTINEL = 12345.5f;

    /**
     * The contract, literally. {@link GemmNarrow}'s products: s_q = fma(A(i, p), B(p, j), s_q) for p = q, q + 8, …,
     * then C(i, j) (+)= ((s₀ + s₄) + (s₂ + s₆)) + ((s₁ + s₅) + (s₃ + s₇)). The
     * rest: C(i, j) = fma(A(i, p), B(p, j), C(i, j)) for p = 0…K−1.
     */
    static void contract(boolean ta, boolean tb, int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo,
                         int ldb, float[] c, int co, int ldc, boolean accumulate) {
        if (!GemmNarrow.takes(ta, n, k)) {
            chain(ta, tb, m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);
            return;
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float[] s = new float[8];
                for (int p = 0; p < k; p++) {
                    float bv = tb ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
                    s[p % 8] = Math.fma(a[ao + i * lda + p], bv, s[p % 8]);
                }
                float t = ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
                c[co + i * ldc + j] = accumulate ? c[co + i * ldc + j] + t : t;
            }
        }
    }

    /** One FMA chain per element: C(i, j) = fma(A(i, p), B(p, j), C(i, j)) for p = 0…K−1. */
    static void chain(boolean ta, boolean tb, int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo,
                              int ldb, float[] c, int co, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float acc = accumulate ? c[co + i * ldc + j] : 0f;
                for (int p = 0; p < k; p++) {
                    float av = ta ? a[ao + p * lda + i] : a[ao + i * lda + p];
                    float bv = tb ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
                    acc = Math.fma(av, bv, acc);
                }
                c[co + i * ldc + j] = acc;
            }
        }
    }

    private static void check(int m, int k, int n, boolean ta, boolean tb, boolean padded, boolean accumulate, Rng rng,
                              boolean twin) {
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + (padded ? 3 : 0), ldb = bCols + (padded ? 5 : 0), ldc = n + (padded ? 2 : 0);
        int ao = padded ? 1 : 0, bo = padded ? 7 : 0, co = padded ? 3 : 0;
        float[] a = KernelTwinTest.random(rng, ao + aRows * lda, -1, 1), b = KernelTwinTest.random(rng, bo + bRows * ldb, -1, 1);
        float[] c = new float[co + m * ldc + 3];
        java.util.Arrays.fill(c, SENTINEL);
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[co + i * ldc + j] = (float) rng.uniform(-1, 1);
        float[] want = c.clone(), c0 = c.clone(), aCopy = a.clone(), bCopy = b.clone();
        Gemm.gemmJava(ta, tb, m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);
        contract(ta, tb, m, n, k, a, ao, lda, b, bo, ldb, want, co, ldc, accumulate);
        String what = String.format("%dx%dx%d ta=%s tb=%s padded=%s accumulate=%s", m, k, n, ta, tb, padded, accumulate);
        assertThat(c).as(what).isEqualTo(want);
        assertThat(a).as("A is read-only, %s", what).isEqualTo(aCopy);
        assertThat(b).as("B is read-only, %s", what).isEqualTo(bCopy);
        if (!twin) return;
        double[] ref = KernelTwinTest.widen(c0), mag = new double[c0.length];
        ScalarKernels.gemm(ta, tb, m, n, k, Buf.of(KernelTwinTest.widen(a)), ao, lda, Buf.of(KernelTwinTest.widen(b)), bo, ldb,
                Buf.of(ref), co, ldc, accumulate);
        ScalarKernels.gemm(ta, tb, m, n, k, Buf.of(KernelTwinTest.abs(a)), ao, lda, Buf.of(KernelTwinTest.abs(b)), bo, ldb,
                Buf.of(mag), co, ldc, false);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int p = co + i * ldc + j;
                double scale = mag[p] + (accumulate ? Math.abs(c0[p]) : 0);
                assertThat((double) c[p]).as("%s: C(%d, %d) against the scalar twin", what, i, j)
                        .isCloseTo(ref[p], org.assertj.core.data.Offset.offset(2e-5 * scale + 1e-7));
            }
        }
    }

    @Test
    void everyNarrowWidthMatchesItsContractBitForBit() {
        int[] ms = {1, 2, 3, 4, 5, 7, 8, 9, 13, 31, 32, 33, 64, 70, 97};
        int[] ks = {1, 3, 8, 9, 16, 32, 33, 128};
        Rng rng = new Rng(21);
        for (int n = 1; n <= 16; n++) {
            for (int m : ms) {
                for (int k : ks) {
                    for (int t = 0; t < 4; t++) {
                        boolean padded = ((m + k + n + t) & 1) == 0;
                        for (boolean acc : new boolean[] {false, true}) {
                            check(m, k, n, (t & 2) != 0, (t & 1) != 0, padded, acc, rng, false);
                        }
                    }
                }
            }
        }
    }

    /** K past the K block (256), the head's own shapes and short K's, padded or not, also against the scalar twin. */
    @Test
    void headShapesAndLongKMatchTheContractAndTheScalarTwin() {
        int[][] shapes = {{32, 128, 10}, {128, 128, 10}, {128, 32, 10}, {1, 128, 10}, {33, 300, 10}, {64, 257, 16},
            {96, 530, 9}, {5, 300, 12}, {40, 261, 8}, {32, 256, 11}, {70, 784, 10}, {33, 272, 7}, {3, 1024, 1},
            {32, 10, 128}, {13, 7, 200}, {70, 16, 64}, {6, 1, 130}, {5, 12, 64}, {3, 9, 128}, {4, 16, 192}};
        // the last seven: a short K (GemmNarrow.shortK; m mod 4 rows and n mod 64 columns on the row tile, m < 4 all there)
        Rng rng = new Rng(22);
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                for (boolean padded : new boolean[] {false, true}) {
                    for (boolean acc : new boolean[] {false, true}) {
                        check(s[0], s[1], s[2], (t & 2) != 0, (t & 1) != 0, padded, acc, rng, true);
                    }
                }
            }
        }
    }
}
