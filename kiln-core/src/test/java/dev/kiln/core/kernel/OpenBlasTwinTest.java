package dev.kiln.core.kernel;

import static dev.kiln.core.kernel.KernelTwinTest.SENTINEL;
import static dev.kiln.core.kernel.KernelTwinTest.random;
import static dev.kiln.core.kernel.KernelTwinTest.sentinels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.core.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * OpenBLAS's {@code cblas_sgemm} through {@link OpenBlas} against the Java kernel ({@link Gemm#gemmJava}): every
 * transpose variant, odd sizes, offsets into larger arrays, padded leading dimensions and accumulation, to a
 * relative 1e-5 of Σ|a·b|. Skipped, with the places searched as the reason, where libopenblas is not installed
 * (a clean CI machine); {@link GemmBackendTest} covers the choice itself and runs everywhere.
 */
class OpenBlasTwinTest {
    private OpenBlas blas;

    @BeforeEach
    void needsOpenBlas() {
        assumeTrue(OpenBlas.system().isPresent(), () -> "libopenblas is not installed here (" + OpenBlas.systemSearch()
                + "); the OpenBLAS backend is optional and these twin tests only run where it is");
        blas = OpenBlas.system().orElseThrow();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        int[][] shapes = {
            {1, 1, 1}, {3, 7, 5}, {17, 9, 33}, {5, 0, 3}, {7, 1, 33}, {2, 33, 1}, {64, 300, 65}, {130, 70, 129},
            {32, 784, 128}, {32, 128, 10}, {97, 257, 64}, {8, 300, 700}, {255, 257, 259},
        };
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) out.add(Arguments.of(s[0], s[1], s[2], (t & 2) != 0, (t & 1) != 0));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}x{1}x{2} ta={3} tb={4}")
    @MethodSource("cases")
    void sgemmMatchesJavaKernel(int m, int k, int n, boolean ta, boolean tb) {
        Rng rng = new Rng(m * 7_919L + k * 104_729L + n + (ta ? 3 : 0) + (tb ? 5 : 0));
        for (boolean padded : new boolean[] {false, true}) {
            for (boolean accumulate : new boolean[] {false, true}) {
                int aRows = ta ? k : m, aCols = ta ? m : k;
                int bRows = tb ? n : k, bCols = tb ? k : n;
                int lda = Math.max(1, aCols) + (padded ? 3 : 0), ldb = Math.max(1, bCols) + (padded ? 5 : 0);
                int ldc = n + (padded ? 2 : 0);
                int ao = padded ? 1 : 0, bo = padded ? 7 : 0, co = padded ? 3 : 0;
                float[] a = random(rng, ao + aRows * lda + 2, -1, 1);
                float[] b = random(rng, bo + bRows * ldb + 2, -1, 1);
                float[] c = sentinels(co + m * ldc + 3);
                for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[co + i * ldc + j] = (float) rng.uniform(-1, 1);
                float[] c0 = c.clone(), expected = c.clone(), aCopy = a.clone(), bCopy = b.clone();

                blas.sgemm(ta, tb, m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);
                Gemm.gemmJava(ta, tb, m, n, k, a, ao, lda, b, bo, ldb, expected, co, ldc, accumulate);

                String what = String.format("%dx%dx%d ta=%s tb=%s padded=%s accumulate=%s", m, k, n, ta, tb, padded, accumulate);
                for (int p = 0; p < c.length; p++) {
                    int i = (p - co) / Math.max(1, ldc), j = (p - co) - i * ldc;
                    if (!(p >= co && i < m && j >= 0 && j < n)) {
                        assertThat(c[p]).as("%s: element %d outside C was written", what, p).isEqualTo(SENTINEL);
                        continue;
                    }
                    double scale = (accumulate ? Math.abs(c0[p]) : 0) + magnitude(ta, tb, k, a, ao, lda, b, bo, ldb, i, j);
                    assertThat((double) c[p]).as("%s: C(%d, %d)", what, i, j)
                            .isCloseTo(expected[p], org.assertj.core.data.Offset.offset(1e-5 * scale + 1e-30));
                }
                assertThat(a).as("A is read-only").isEqualTo(aCopy);
                assertThat(b).as("B is read-only").isEqualTo(bCopy);
            }
        }
    }

    /** Σ_p |A(i,p)·B(p,j)|: the size of the float32 rounding both kernels may make in C(i, j). */
    private static double magnitude(boolean ta, boolean tb, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb, int i, int j) {
        double s = 0;
        for (int p = 0; p < k; p++) {
            float av = ta ? a[ao + p * lda + i] : a[ao + i * lda + p];
            float bv = tb ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
            s += Math.abs((double) av * bv);
        }
        return s;
    }

    /** Gemm's dispatch under kiln.blas=auto and =openblas, on shapes either side of Gemm.BLAS_MIN_WORK, every variant. */
    @Test
    void gemmDispatchMatchesJavaKernel() {
        Rng rng = new Rng(42);
        for (String mode : new String[] {"auto", "openblas"}) {
            Gemm.Choice choice = Gemm.choose(mode, true, OpenBlas::system, OpenBlas::systemSearch);
            assertThat(choice.blas()).isNotNull();
            for (int[] s : new int[][] {{300, 257, 260}, {4, 4, 4}, {1, 784, 128}}) {
                int m = s[0], k = s[1], n = s[2];
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 2) != 0, tb = (t & 1) != 0;
                    float[] a = random(rng, m * k, -1, 1), b = random(rng, k * n, -1, 1);
                    float[] c = random(rng, m * n, -1, 1), expected = c.clone();
                    choice.gemm(ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, c, 0, n, true);
                    Gemm.gemmJava(ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, expected, 0, n, true);
                    for (int p = 0; p < c.length; p++) {
                        assertThat(c[p]).as("%s %dx%dx%d ta=%s tb=%s element %d", mode, m, k, n, ta, tb, p).isCloseTo(expected[p],
                                org.assertj.core.data.Offset.offset(1e-5f * (k + Math.abs(expected[p]))));
                    }
                }
            }
        }
    }

    /** Native code would run past an array silently, so the bounds are checked before the call. */
    @Test
    void operandsOutsideTheirArraysAreRejectedBeforeNativeCode() {
        float[] a = new float[4 * 5], b = new float[5 * 6], c = sentinels(4 * 6);
        assertThatThrownBy(() -> blas.sgemm(false, false, 4, 6, 5, a, 1, 5, b, 0, 6, c, 0, 6, false))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("A:");
        assertThatThrownBy(() -> blas.sgemm(false, true, 4, 6, 5, a, 0, 5, b, 0, 6, c, 0, 6, false))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("B:");
        assertThatThrownBy(() -> blas.sgemm(false, false, 4, 6, 5, a, 0, 5, b, 0, 6, c, 0, 7, false))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("C:");
        assertThatThrownBy(() -> blas.sgemm(false, false, 4, 6, 5, a, 0, 4, b, 0, 6, c, 0, 6, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lda=4");
        for (float v : c) assertThat(v).isEqualTo(SENTINEL);
    }

    /** kiln-serve predicts on several threads at once: concurrent calls into OpenBLAS must not disturb each other. */
    @Test
    void concurrentCallsAgreeWithTheJavaKernel() throws Exception {
        int threads = 4, m = 96, k = 300, n = 130;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Rng rng = new Rng(100 + t);
                float[] a = random(rng, m * k, -1, 1), b = random(rng, k * n, -1, 1), expected = new float[m * n];
                Gemm.gemmJava(false, false, m, n, k, a, 0, k, b, 0, n, expected, 0, n, false);
                done.add(pool.submit(() -> {
                    float[] c = new float[m * n];
                    for (int rep = 0; rep < 50; rep++) {
                        blas.sgemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
                        for (int p = 0; p < c.length; p++) {
                            assertThat(c[p]).isCloseTo(expected[p], org.assertj.core.data.Offset.offset(1e-5f * k));
                        }
                    }
                }));
            }
            for (java.util.concurrent.Future<?> f : done) f.get();
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void threadsFollowKilnsPool() {
        assertThat(blas.threads()).isIn(Parallel.THREADS, -1);
    }
}
