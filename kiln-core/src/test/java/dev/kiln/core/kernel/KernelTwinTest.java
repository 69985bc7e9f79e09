package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fast/scalar twin contract: every Vector API kernel against its {@link ScalarKernels} reference on random
 * data, odd sizes, unaligned offsets and broadcast (stride 0) operands. Writes outside the output range are
 * caught by sentinel values around it.
 */
class KernelTwinTest {
    static final int[] SIZES = {0, 1, 7, 15, 16, 17, 33, 1000};
    static final int[][] OFFSETS = {{0, 0}, {3, 5}, {1, 0}};  // {input offset, output offset}
    static final float SENTINEL = -12345.5f;

    static float[] random(Rng rng, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rng.uniform(lo, hi);
        return a;
    }

    static float[] sentinels(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, SENTINEL);
        return a;
    }

    static void assertUntouchedOutside(float[] y, int from, int to) {
        for (int i = 0; i < y.length; i++) {
            if (i < from || i >= to) assertThat(y[i]).as("element %d outside the output range [%d, %d)", i, from, to).isEqualTo(SENTINEL);
        }
    }

    static double[] domain(UnaryKind k) {
        return switch (k) {
            case LOG, SQRT -> new double[] {1e-3, 50};
            case EXP -> new double[] {-30, 30};
            default -> new double[] {-10, 10};
        };
    }

    // ---------------------------------------------------------------- unary

    @ParameterizedTest
    @EnumSource(UnaryKind.class)
    void unaryMatchesScalarTwin(UnaryKind kind) {
        Rng rng = new Rng(kind.ordinal());
        double[] dom = domain(kind);
        for (int n : SIZES) {
            for (int[] off : OFFSETS) {
                float[] x = random(rng, n + off[0] + 4, dom[0], dom[1]);
                if (n > 2 && dom[0] < 0) x[off[0] + 1] = 0f; // the kink of relu/step/sign/abs
                float[] fast = sentinels(n + off[1] + 4), ref = sentinels(n + off[1] + 4);
                Elementwise.unary(kind, x, off[0], fast, off[1], n);
                ScalarKernels.unary(kind, Buf.of(x), off[0], 1, Buf.of(ref), off[1], 1, n);
                for (int i = 0; i < n; i++) {
                    float r = ref[off[1] + i];
                    // Vector API transcendentals are within ~2.5 ulp; the reference is correctly rounded.
                    float tol = 3 * Math.ulp(r) + Float.MIN_NORMAL;
                    assertThat(fast[off[1] + i]).as("%s n=%d offsets %s i=%d x=%s", kind, n, java.util.Arrays.toString(off), i, x[off[0] + i])
                            .isCloseTo(r, org.assertj.core.data.Offset.offset(tol));
                }
                assertUntouchedOutside(fast, off[1], off[1] + n);
            }
        }
    }

    // ---------------------------------------------------------------- binary

    static Stream<Arguments> binaryCases() {
        List<Arguments> out = new ArrayList<>();
        int[][] strides = {{1, 1}, {1, 0}, {0, 1}, {0, 0}};
        for (BinaryKind k : BinaryKind.values()) for (int[] s : strides) out.add(Arguments.of(k, s[0], s[1]));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} strides a={1} b={2}")
    @MethodSource("binaryCases")
    void binaryMatchesScalarTwinExactly(BinaryKind kind, int sa, int sb) {
        Rng rng = new Rng(31L * kind.ordinal() + 7 * sa + sb);
        for (int n : SIZES) {
            for (int[] off : OFFSETS) {
                int len = n + off[0] + 4;
                float[] a, b;
                switch (kind) {
                    case POW -> { a = random(rng, len, 0.1, 3); b = random(rng, len, -3, 3); }
                    case DIV -> { a = random(rng, len, -5, 5); b = random(rng, len, 0.25, 4); if (n > 0) b[off[0]] = -b[off[0]]; }
                    case EQ, GT, MAX, MIN -> { a = integers(rng, len); b = integers(rng, len); } // plenty of ties
                    default -> { a = random(rng, len, -5, 5); b = random(rng, len, -5, 5); }
                }
                float[] fast = sentinels(n + off[1] + 4), ref = sentinels(n + off[1] + 4);
                Elementwise.binary(kind, a, off[0], sa, b, off[0] + 1, sb, fast, off[1], n);
                ScalarKernels.binary(kind, Buf.of(a), off[0], sa, Buf.of(b), off[0] + 1, sb, Buf.of(ref), off[1], 1, n);
                for (int i = 0; i < n; i++) {
                    // + - * / max min rounded once from double equal the float operation, so the twins agree exactly.
                    assertThat(fast[off[1] + i]).as("%s n=%d offsets %s i=%d", kind, n, java.util.Arrays.toString(off), i)
                            .isEqualTo(ref[off[1] + i]);
                }
                assertUntouchedOutside(fast, off[1], off[1] + n);
            }
        }
    }

    static float[] integers(Rng rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rng.nextInt(5) - 2;
        return a;
    }

    // ---------------------------------------------------------------- reductions and in-place

    @ParameterizedTest(name = "n={0}")
    @MethodSource("sizes")
    void reductionsMatchScalarTwins(int n) {
        Rng rng = new Rng(n);
        for (int[] off : OFFSETS) {
            float[] x = random(rng, n + off[0] + 3, -3, 3);
            double abs = 0;
            for (int i = 0; i < n; i++) abs += Math.abs(x[off[0] + i]);

            double[] sum = {0};
            ScalarKernels.sumInto(Buf.of(x), off[0], 1, Buf.of(sum), 0, 0, n);
            assertThat((double) Elementwise.sum(x, off[0], n)).as("sum n=%d", n)
                    .isCloseTo(sum[0], org.assertj.core.data.Offset.offset(2e-6 * abs + 1e-7));

            double[] max = {Double.NEGATIVE_INFINITY};
            ScalarKernels.maxInto(Buf.of(x), off[0], 1, Buf.of(max), 0, 0, n);
            assertThat((double) Elementwise.max(x, off[0], n)).as("max n=%d", n).isEqualTo(max[0]);

            float[] y0 = random(rng, n + off[1] + 2, -3, 3);
            float[] fast = y0.clone(), ref = y0.clone();
            Elementwise.addInPlace(fast, off[1], x, off[0], n);
            ScalarKernels.sumInto(Buf.of(x), off[0], 1, Buf.of(ref), off[1], 1, n);
            assertThat(fast).as("addInPlace n=%d", n).isEqualTo(ref);

            fast = y0.clone();
            ref = y0.clone();
            Elementwise.maxInPlace(fast, off[1], x, off[0], n);
            ScalarKernels.maxInto(Buf.of(x), off[0], 1, Buf.of(ref), off[1], 1, n);
            assertThat(fast).as("maxInPlace n=%d", n).isEqualTo(ref);
        }
    }

    static Stream<Integer> sizes() {
        return java.util.Arrays.stream(SIZES).boxed();
    }

    // ---------------------------------------------------------------- gemm

    /** (m, k, n): op(A) is m×k, op(B) k×n. */
    static final int[][] GEMM_SHAPES = {
        {1, 1, 1}, {3, 7, 5}, {4, 16, 8}, {17, 9, 33}, {5, 0, 3}, {0, 3, 4}, {7, 1, 33}, {2, 33, 1},
        {32, 784, 128}, {64, 300, 65}, {130, 70, 129}, {9, 17, 31},
        // Gemm's blocking: K past one KC block, M past one MC block, and a wide short C split by columns.
        {200, 530, 97}, {97, 257, 64}, {8, 300, 700},
        // The column tile (A·Bᵀ with M ≤ N, Aᵀ·B with N below the row tile): ragged row panels and column tiles,
        // N from 1 to 17 around one and two vectors, and the 10-class head and the dY·Wᵀ of 784-128-10 training.
        {32, 128, 10}, {128, 32, 10}, {33, 40, 35}, {15, 20, 17}, {16, 9, 16}, {31, 5, 13}, {65, 300, 70},
        {32, 128, 784}, {6, 11, 2}, {13, 7, 12}, {3, 300, 9}, {40, 33, 11}, {70, 17, 14}, {12, 6, 15},
        {40, 300, 130}, {33, 200, 100}, {7, 300, 17},
    };

    static Stream<Arguments> gemmCases() {
        List<Arguments> out = new ArrayList<>();
        for (int[] s : GEMM_SHAPES) {
            for (int t = 0; t < 4; t++) {
                out.add(Arguments.of(s[0], s[1], s[2], (t & 2) != 0, (t & 1) != 0));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}x{1}x{2} ta={3} tb={4}")
    @MethodSource("gemmCases")
    void gemmMatchesScalarTwin(int m, int k, int n, boolean ta, boolean tb) {
        Rng rng = new Rng(m * 1_000_003L + k * 1009L + n + (ta ? 7 : 0) + (tb ? 13 : 0));
        for (boolean padded : new boolean[] {false, true}) {
            for (boolean accumulate : new boolean[] {false, true}) {
                int aRows = ta ? k : m, aCols = ta ? m : k;
                int bRows = tb ? n : k, bCols = tb ? k : n;
                int lda = aCols + (padded ? 3 : 0), ldb = bCols + (padded ? 5 : 0), ldc = n + (padded ? 2 : 0);
                int ao = padded ? 1 : 0, bo = padded ? 7 : 0, co = padded ? 3 : 0;
                float[] a = random(rng, ao + Math.max(0, aRows * lda) + 2, -1, 1);
                float[] b = random(rng, bo + Math.max(0, bRows * ldb) + 2, -1, 1);
                float[] c = sentinels(co + m * ldc + 3);
                for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[co + i * ldc + j] = (float) rng.uniform(-1, 1);
                float[] c0 = c.clone();
                float[] aCopy = a.clone(), bCopy = b.clone();

                Gemm.gemm(ta, tb, m, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);

                double[] ref = widen(c0), mag = new double[c0.length];
                ScalarKernels.gemm(ta, tb, m, n, k, Buf.of(widen(a)), ao, lda, Buf.of(widen(b)), bo, ldb, Buf.of(ref), co, ldc, accumulate);
                ScalarKernels.gemm(ta, tb, m, n, k, Buf.of(abs(a)), ao, lda, Buf.of(abs(b)), bo, ldb, Buf.of(mag), co, ldc, false);
                String what = String.format("%dx%dx%d ta=%s tb=%s padded=%s accumulate=%s", m, k, n, ta, tb, padded, accumulate);
                for (int p = 0; p < c.length; p++) {
                    int i = (p - co) / Math.max(1, ldc), j = (p - co) - i * ldc;
                    boolean inside = p >= co && i < m && j >= 0 && j < n;
                    if (!inside) {
                        assertThat(c[p]).as("%s: element %d outside C was written", what, p).isEqualTo(SENTINEL);
                        continue;
                    }
                    // Error relative to the magnitude of the sum of products (float32 accumulation over k terms).
                    double scale = mag[p] + (accumulate ? Math.abs(c0[p]) : 0);
                    assertThat((double) c[p]).as("%s: C(%d, %d)", what, i, j)
                            .isCloseTo(ref[p], org.assertj.core.data.Offset.offset(2e-5 * scale + 1e-7));
                }
                assertThat(a).as("A is read-only").isEqualTo(aCopy);
                assertThat(b).as("B is read-only").isEqualTo(bCopy);
            }
        }
    }

    static double[] widen(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    static double[] abs(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = Math.abs(x[i]);
        return d;
    }
}
