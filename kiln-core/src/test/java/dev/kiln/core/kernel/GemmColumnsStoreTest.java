package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import org.junit.jupiter.api.Test;

/**
 * {@link GemmColumns}' vector store of a full tile (transposed in registers, one masked store a row) against a scalar
 * FMA chain in K order, bit for bit: where C's rows are as narrow as a tile (n = ldc = 6, where a row's masked store
 * starts before the row, even before the array), at offsets and padded strides, accumulating or not, and over the
 * pool's splits (by row panels when they share out evenly, by columns otherwise) as well as on the calling thread,
 * with A stored either way.
 */
class GemmColumnsStoreTest {

    /** C(i, j) (+)= Σ_p A(i, p)·B(j, p), one Math.fma chain per element as the tiles compute it. */
    private static void reference(int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb, float[] c,
                                  int co, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = accumulate ? c[co + i * ldc + j] : 0f;
                for (int p = 0; p < k; p++) s = Math.fma(a[ao + i * lda + p], b[bo + j * ldb + p], s);
                c[co + i * ldc + j] = s;
            }
        }
    }

    @Test
    void fullTilesStoreTheSameBitsAsTheScalarChain() {
        // {m, k, n, ao, bo, co, ldc - n}
        int[][] cases = {{32, 5, 6, 0, 0, 0, 0}, {64, 17, 6, 0, 0, 0, 0}, {32, 9, 7, 0, 0, 0, 0}, {33, 40, 12, 1, 2, 0, 0},
            {96, 64, 36, 3, 5, 7, 3}, {128, 128, 784, 0, 0, 0, 0}, {65, 70, 130, 1, 7, 3, 2}, {32, 200, 100, 0, 0, 5, 1},
            {60, 100, 500, 1, 2, 3, 2}};
        Rng rng = new Rng(17);
        for (int[] t : cases) {
            int m = t[0], k = t[1], n = t[2], ao = t[3], bo = t[4], co = t[5], ldc = n + t[6];
            float[] a = KernelTwinTest.random(rng, ao + m * k, -1, 1), b = KernelTwinTest.random(rng, bo + n * k, -1, 1);
            float[] c0 = KernelTwinTest.random(rng, co + m * ldc, -1, 1);
            for (boolean acc : new boolean[] {false, true}) {
                float[] want = c0.clone(), got = c0.clone();
                reference(m, n, k, a, ao, k, b, bo, k, want, co, ldc, acc);
                GemmColumns.gemm(false, true, m, n, k, a, ao, k, b, bo, k, got, co, ldc, acc);
                assertThat(got).as("%dx%dx%d co=%d ldc=%d accumulate=%s", m, k, n, co, ldc, acc).isEqualTo(want);
                // op(A) = (Aᵀ)ᵀ: the same product from A stored K×M, packed along its rows.
                float[] at = new float[ao + k * m], gotT = c0.clone();
                for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) at[ao + p * m + i] = a[ao + i * k + p];
                GemmColumns.gemm(true, true, m, n, k, at, ao, m, b, bo, k, gotT, co, ldc, acc);
                assertThat(gotT).as("Aᵀ %dx%dx%d co=%d ldc=%d accumulate=%s", m, k, n, co, ldc, acc).isEqualTo(want);
            }
        }
    }
}
