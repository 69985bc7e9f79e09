package dev.kiln.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 matrix multiply C = op(A)·op(B) (+C), row-major, with the transposed variants training needs
 * read in place (no transpose is materialised). Register-blocked: 4 rows of C by two vectors of columns
 * stay in registers while K streams past. Rows are split across {@link Parallel} when the work is large.
 * Twin: {@link ScalarKernels#gemm}. The arguments mean the same as there.
 *
 * <p>This is the simple first version; the cache-blocked, packed kernel is the CPU-speed issue's job.
 */
public final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    /** Below this many multiply-adds a second thread costs more than it saves. */
    private static final long PARALLEL_WORK = 1L << 17;

    private Gemm() {}

    public static void gemm(boolean ta, boolean tb, int m, int n, int k,
                            float[] a, int ao, int lda, float[] b, int bo, int ldb,
                            float[] c, int co, int ldc, boolean accumulate) {
        if (m == 0 || n == 0) return;
        long work = (long) m * n * Math.max(1, k);
        int minRows = work < PARALLEL_WORK ? m : Math.max(4, (int) Math.min(m, PARALLEL_WORK / Math.max(1L, (long) n * k)));
        // Keep chunks a multiple of 4 rows so the register block stays full.
        int chunk = (minRows + 3) & ~3;
        Parallel.forRange(m, chunk, (r0, r1) -> {
            if (tb) rowsNT(ta, r0, r1, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);
            else rowsNN(ta, r0, r1, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);
        });
    }

    /** B is K×N with rows contiguous along j: broadcast A(i,p), FMA against B's row p. */
    private static void rowsNN(boolean ta, int i0, int i1, int n, int k, float[] a, int ao, int lda,
                               float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean acc) {
        int ars = ta ? 1 : lda;  // step between rows i of op(A)
        int acs = ta ? lda : 1;  // step between columns p of op(A)
        int i = i0;
        for (; i + 4 <= i1; i += 4) {
            for (int j = 0; j < n; j += 2 * VL) {
                VectorMask<Float> m0 = S.indexInRange(j, n);
                VectorMask<Float> m1 = S.indexInRange(j + VL, n);
                int c0 = co + i * ldc + j;
                FloatVector c00 = load(c, c0, m0, acc), c01 = load(c, c0 + VL, m1, acc);
                FloatVector c10 = load(c, c0 + ldc, m0, acc), c11 = load(c, c0 + ldc + VL, m1, acc);
                FloatVector c20 = load(c, c0 + 2 * ldc, m0, acc), c21 = load(c, c0 + 2 * ldc + VL, m1, acc);
                FloatVector c30 = load(c, c0 + 3 * ldc, m0, acc), c31 = load(c, c0 + 3 * ldc + VL, m1, acc);
                int ap = ao + i * ars;
                int bp = bo + j;
                boolean full = m1.allTrue();
                for (int p = 0; p < k; p++, ap += acs, bp += ldb) {
                    FloatVector b0 = full ? FloatVector.fromArray(S, b, bp) : FloatVector.fromArray(S, b, bp, m0);
                    FloatVector b1 = full ? FloatVector.fromArray(S, b, bp + VL) : FloatVector.fromArray(S, b, bp + VL, m1);
                    FloatVector x0 = FloatVector.broadcast(S, a[ap]);
                    FloatVector x1 = FloatVector.broadcast(S, a[ap + ars]);
                    FloatVector x2 = FloatVector.broadcast(S, a[ap + 2 * ars]);
                    FloatVector x3 = FloatVector.broadcast(S, a[ap + 3 * ars]);
                    c00 = x0.fma(b0, c00); c01 = x0.fma(b1, c01);
                    c10 = x1.fma(b0, c10); c11 = x1.fma(b1, c11);
                    c20 = x2.fma(b0, c20); c21 = x2.fma(b1, c21);
                    c30 = x3.fma(b0, c30); c31 = x3.fma(b1, c31);
                }
                c00.intoArray(c, c0, m0); c01.intoArray(c, c0 + VL, m1);
                c10.intoArray(c, c0 + ldc, m0); c11.intoArray(c, c0 + ldc + VL, m1);
                c20.intoArray(c, c0 + 2 * ldc, m0); c21.intoArray(c, c0 + 2 * ldc + VL, m1);
                c30.intoArray(c, c0 + 3 * ldc, m0); c31.intoArray(c, c0 + 3 * ldc + VL, m1);
            }
        }
        for (; i < i1; i++) {
            for (int j = 0; j < n; j += VL) {
                VectorMask<Float> m0 = S.indexInRange(j, n);
                int c0 = co + i * ldc + j;
                FloatVector s = load(c, c0, m0, acc);
                int ap = ao + i * ars;
                int bp = bo + j;
                for (int p = 0; p < k; p++, ap += acs, bp += ldb) {
                    s = FloatVector.broadcast(S, a[ap]).fma(FloatVector.fromArray(S, b, bp, m0), s);
                }
                s.intoArray(c, c0, m0);
            }
        }
    }

    private static FloatVector load(float[] c, int off, VectorMask<Float> m, boolean acc) {
        return acc ? FloatVector.fromArray(S, c, off, m) : FloatVector.zero(S);
    }

    /** B is stored N×K: each C(i,j) is a dot product of A's row i and B's row j, both contiguous along p. */
    private static void rowsNT(boolean ta, int i0, int i1, int n, int k, float[] a, int ao, int lda,
                               float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean acc) {
        float[] row = ta ? new float[k] : null;  // op(A) row i gathered once when A is transposed
        int kb = S.loopBound(k);
        for (int i = i0; i < i1; i++) {
            float[] ar;
            int arOff;
            if (ta) {
                for (int p = 0; p < k; p++) row[p] = a[ao + p * lda + i];
                ar = row;
                arOff = 0;
            } else {
                ar = a;
                arOff = ao + i * lda;
            }
            int j = 0;
            for (; j + 4 <= n; j += 4) {
                int b0 = bo + j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
                FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
                int p = 0;
                for (; p < kb; p += VL) {
                    FloatVector x = FloatVector.fromArray(S, ar, arOff + p);
                    s0 = x.fma(FloatVector.fromArray(S, b, b0 + p), s0);
                    s1 = x.fma(FloatVector.fromArray(S, b, b1 + p), s1);
                    s2 = x.fma(FloatVector.fromArray(S, b, b2 + p), s2);
                    s3 = x.fma(FloatVector.fromArray(S, b, b3 + p), s3);
                }
                float d0 = Elementwise.sumLanes(s0), d1 = Elementwise.sumLanes(s1);
                float d2 = Elementwise.sumLanes(s2), d3 = Elementwise.sumLanes(s3);
                for (; p < k; p++) {
                    float x = ar[arOff + p];
                    d0 += x * b[b0 + p]; d1 += x * b[b1 + p]; d2 += x * b[b2 + p]; d3 += x * b[b3 + p];
                }
                int cp = co + i * ldc + j;
                if (acc) { c[cp] += d0; c[cp + 1] += d1; c[cp + 2] += d2; c[cp + 3] += d3; }
                else { c[cp] = d0; c[cp + 1] = d1; c[cp + 2] = d2; c[cp + 3] = d3; }
            }
            for (; j < n; j++) {
                int bj = bo + j * ldb;
                FloatVector s = FloatVector.zero(S);
                int p = 0;
                for (; p < kb; p += VL) s = FloatVector.fromArray(S, ar, arOff + p).fma(FloatVector.fromArray(S, b, bj + p), s);
                float d = Elementwise.sumLanes(s);
                for (; p < k; p++) d += ar[arOff + p] * b[bj + p];
                int cp = co + i * ldc + j;
                c[cp] = acc ? c[cp] + d : d;
            }
        }
    }
}
