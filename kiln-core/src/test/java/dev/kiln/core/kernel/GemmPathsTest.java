package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import org.junit.jupiter.api.Test;

/**
 * {@link Gemm}'s tiles (the row tile, its masked edge, {@link GemmColumns}' column tile) all sum each C element as
 * one FMA chain in K order, so a product must come out bit for bit the same whichever tile a shape takes — with B
 * stored transposed or not, A transposed or not — and a row of C must not depend on how many rows share the call
 * (a prediction must not depend on what it was batched with). The one exception is {@link GemmNarrow} (A untransposed,
 * C at most 10 wide, K a multiple of 16), which sums in eight chains: there the two layouts of B agree bit for bit, and the two layouts of
 * A agree to rounding. The scalar twin ({@link KernelTwinTest}) checks the values; this checks the bits.
 */
class GemmPathsTest {

    private static float[] random(Rng rng, int n) {
        return KernelTwinTest.random(rng, n, -1, 1);
    }

    /** Row-major (rows×cols, stride ld) → its transpose (cols×rows, stride rows). */
    private static float[] transpose(float[] x, int rows, int cols, int ld) {
        float[] t = new float[rows * cols];
        for (int r = 0; r < rows; r++) for (int q = 0; q < cols; q++) t[q * rows + r] = x[r * ld + q];
        return t;
    }

    private static float[] product(boolean ta, boolean tb, int m, int n, int k, float[] a, int lda, float[] b, int ldb,
                                   float[] c0, boolean accumulate) {
        float[] c = c0.clone();
        Gemm.gemmJava(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, c, 0, n, accumulate);
        return c;
    }

    @Test
    void everyLayoutGivesTheSameBits() {
        int[][] shapes = {{32, 128, 10}, {128, 32, 10}, {32, 128, 784}, {33, 40, 35}, {7, 300, 17}, {50, 19, 3},
            {1, 64, 40}, {97, 257, 64}, {65, 70, 130}, {16, 16, 16}, {40, 9, 1}, {200, 530, 97}, {40, 300, 130},
            {33, 200, 100}, {32, 10, 128}, {20, 10, 45}, {7, 3, 70}, {33, 16, 64}, {5, 13, 96}, {9, 1, 33}};
        Rng rng = new Rng(11);
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2];
            float[] a = random(rng, m * k), b = random(rng, k * n), c0 = random(rng, m * n);
            float[] at = transpose(a, m, k, k), bt = transpose(b, k, n, n);
            for (boolean acc : new boolean[] {false, true}) {
                float[] plain = product(false, false, m, n, k, a, k, b, n, c0, acc);
                String what = m + "x" + k + "x" + n + " accumulate=" + acc;
                assertThat(product(false, true, m, n, k, a, k, bt, k, c0, acc)).as("A·Bᵀ, %s", what).isEqualTo(plain);
                float[] aTb = product(true, false, m, n, k, at, m, b, n, c0, acc);
                if (GemmNarrow.takes(false, n, k)) {
                    // Eight chains against one: the same values to rounding, and the Aᵀ layouts the same bits.
                    assertThat(aTb).as("Aᵀ·B, %s", what).containsExactly(plain, org.assertj.core.api.Assertions.within(2e-5f * k));
                    assertThat(aTb).as("Aᵀ·B, %s", what).isNotEqualTo(plain);
                    plain = aTb;
                } else {
                    assertThat(aTb).as("Aᵀ·B, %s", what).isEqualTo(plain);
                }
                assertThat(product(true, true, m, n, k, at, m, bt, k, c0, acc)).as("Aᵀ·Bᵀ, %s", what).isEqualTo(plain);
            }
        }
    }

    /**
     * A B packed once ({@link Gemm#pack}, as the recurrent layers do per call, from B or from B stored transposed) and
     * reused: the same bits as the plain product, for row counts on either side of the packing threshold, a ragged last column panel, K over one block,
     * and A and C at offsets with wider strides; and a stale, larger packed array from a bigger call does not leak in.
     */
    @Test
    void aProductOnBPackedOnceGivesTheSameBits() {
        int[][] shapes = {{64, 80, 256}, {5, 80, 256}, {12, 65, 80}, {3, 300, 40}, {33, 530, 97}, {1, 16, 10}, {70, 7, 33},
            {9, 12, 64}, {40, 16, 96}};
        Rng rng = new Rng(17);
        float[] packed = new float[Gemm.packedSize(600, 300)];
        java.util.Arrays.fill(packed, Float.NaN);   // what a bigger earlier call left behind
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2], lda = k + 3, ldc = n + 5, ao = 7, co = 11, bo = 2;
            float[] a = random(rng, ao + m * lda), b = random(rng, bo + k * n), c0 = random(rng, co + m * ldc);
            float[] bt = new float[bo + n * k];   // B stored transposed, (n × k) at the same offset
            for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) bt[bo + j * k + p] = b[bo + p * n + j];
            for (boolean tb : new boolean[] {false, true}) {
                if (tb) Gemm.pack(true, bt, bo, k, k, n, packed);
                else Gemm.pack(false, b, bo, n, k, n, packed);
                for (boolean acc : new boolean[] {false, true}) {
                    float[] want = c0.clone(), got = c0.clone();
                    Gemm.gemmSerial(false, m, n, k, a, ao, lda, b, bo, n, want, co, ldc, acc);
                    Gemm.gemmSerialPacked(m, n, k, a, ao, lda, packed, got, co, ldc, acc);
                    assertThat(got).as("%dx%dx%d tb=%s accumulate=%s", m, k, n, tb, acc).isEqualTo(want);
                }
            }
        }
    }

    /** The column tile called directly (whatever {@link Gemm#columnsPay} picks): every layout, offsets and strides. */
    @Test
    void theColumnTileMatchesTheRowTileBitForBit() {
        int[][] shapes = {{1, 1, 1}, {3, 7, 5}, {32, 128, 10}, {33, 40, 35}, {65, 70, 130}, {16, 9, 16}, {40, 300, 130},
            {97, 257, 64}, {2, 5, 17}, {31, 3, 6}, {64, 33, 7}};
        Rng rng = new Rng(13);
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 2) != 0, tb = (t & 1) != 0;
                int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5, ldc = n + 2, ao = 1, bo = 7, co = 3;
                float[] a = random(rng, ao + (ta ? k : m) * lda), b = random(rng, bo + (tb ? n : k) * ldb);
                float[] c0 = random(rng, co + m * ldc + 4);
                for (boolean acc : new boolean[] {false, true}) {
                    float[] rowTile = c0.clone(), colTile = c0.clone();
                    // The row tile: op(B) = B when not transposed; Bᵀ goes through the row tile's own pack. Where
                    // GemmNarrow takes the product instead, the one-chain contract written out.
                    if (GemmNarrow.takes(ta, n, k)) {
                        GemmNarrowTest.chain(ta, tb, m, n, k, a, ao, lda, b, bo, ldb, rowTile, co, ldc, acc);
                    } else if (tb && Gemm.columnsPay(m, n, k)) {
                        float[] bt = new float[k * n];
                        for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) bt[p * n + j] = b[bo + j * ldb + p];
                        Gemm.gemmJava(ta, false, m, n, k, a, ao, lda, bt, 0, n, rowTile, co, ldc, acc);
                    } else {
                        Gemm.gemmJava(ta, tb, m, n, k, a, ao, lda, b, bo, ldb, rowTile, co, ldc, acc);
                    }
                    GemmColumns.gemm(ta, tb, m, n, k, a, ao, lda, b, bo, ldb, colTile, co, ldc, acc);
                    assertThat(colTile).as("%dx%dx%d ta=%s tb=%s accumulate=%s", m, k, n, ta, tb, acc).isEqualTo(rowTile);
                }
            }
        }
    }

    @Test
    void aRowDoesNotDependOnTheOtherRowsInTheCall() {
        int[][] shapes = {{32, 128, 10}, {40, 128, 784}, {70, 33, 5}, {35, 64, 300}};
        Rng rng = new Rng(12);
        for (int[] s : shapes) {
            int m = s[0], k = s[1], n = s[2];
            float[] a = random(rng, m * k), b = random(rng, k * n);
            float[] at = transpose(a, m, k, k), bt = transpose(b, k, n, n);
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 2) != 0, tb = (t & 1) != 0;
                float[] aa = ta ? at : a, bb = tb ? bt : b;
                int lda = ta ? m : k, ldb = tb ? k : n;
                float[] all = new float[m * n];
                Gemm.gemmJava(ta, tb, m, n, k, aa, 0, lda, bb, 0, ldb, all, 0, n, false);
                for (int i : new int[] {0, 1, m / 2, m - 1}) {
                    // Row i alone: op(A)'s row i is at i·lda (A) or column i of Aᵀ (offset i, stride m along K).
                    float[] one = new float[n];
                    Gemm.gemmJava(ta, tb, 1, n, k, aa, ta ? i : i * k, lda, bb, 0, ldb, one, 0, n, false);
                    float[] row = java.util.Arrays.copyOfRange(all, i * n, i * n + n);
                    assertThat(one).as("%dx%dx%d ta=%s tb=%s row %d", m, k, n, ta, tb, i).isEqualTo(row);
                }
            }
        }
    }
}
