package dev.kiln.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Gemm}'s second tile, vectorised along M instead of N: a register tile of {@link #MW} rows (two vectors) ×
 * {@link #NJ} columns of C, streaming K with two vector loads of op(A) down a column and one broadcast of B(p, j)
 * per column. It serves A·Bᵀ with M well below N (the backward dX = dY·Wᵀ of a small batch, see {@link Gemm#columnsPay}): B(p, j) is
 * read in place along B's rows and only the smaller A (M×K) is packed, where the row tile packs all of Bᵀ (K×N) on
 * every call.
 * op(A) is packed into panels of MW rows, K-major (panel q holds A(q·MW + r, p) at {@code (q·K + p)·MW + r}), padded
 * with zeros past M, so the tile's loads are contiguous and unmasked.
 *
 * <p>Every C element is still one FMA chain over p = 0, 1, …, K−1 starting from 0 (or C when accumulating), as in the
 * row tile: the two tiles give bit-identical results, so which one a shape takes (and how the work is split across
 * threads) never changes a number.
 */
final class GemmColumns {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    /** Rows of C per tile (two vectors) and per packed panel. */
    static final int MW = 2 * VL;
    /** Columns of C per tile: 2·6 = 12 accumulators, as in the row tile. */
    static final int NJ = 6;

    private GemmColumns() {}

    /**
     * Per-thread scratch, grown as needed and kept, so a training step's products allocate nothing: the packed A
     * (owned by the calling thread for the whole call, read by the workers) and each thread's C tile.
     */
    private static final class Scratch {
        float[] panels = new float[0];
        final float[] tile = new float[NJ * MW];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** {@link Gemm#gemmJava} through the column tile; m, n, k &gt; 0. */
    static void gemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                     float[] c, int co, int ldc, boolean accumulate) {
        Scratch scratch = SCRATCH.get();
        int size = (m + MW - 1) / MW * k * MW;
        if (scratch.panels.length < size) scratch.panels = new float[size];
        float[] panels = pack(ta, m, k, a, ao, lda, scratch.panels);
        int bps = tb ? 1 : ldb, bjs = tb ? ldb : 1;   // B(p, j) at bo + p·bps + j·bjs
        int rowTiles = (m + MW - 1) / MW, colTiles = (n + NJ - 1) / NJ;
        if ((long) m * n * k < Gemm.PARALLEL_WORK || Parallel.THREADS == 1) {
            tiles(0, rowTiles, 0, n, m, k, panels, b, bo, bps, bjs, c, co, ldc, accumulate);
            return;
        }
        Gemm.split(true, rowTiles, colTiles, m, n, k, panels, 0, 0, 0, b, bo, bps, bjs, c, co, ldc, accumulate);
    }

    /** op(A) (m×k) into {@code dst} as zero-padded panels of MW rows, K-major; returns dst. */
    static float[] pack(boolean ta, int m, int k, float[] a, int ao, int lda, float[] dst) {
        int tiles = (m + MW - 1) / MW;
        for (int q = 0; q < tiles; q++) {
            int i0 = q * MW, rows = Math.min(MW, m - i0), base = q * k * MW;
            // The scratch is reused: the padding rows of a ragged last panel must be zeroed again.
            if (rows < MW) java.util.Arrays.fill(dst, base, base + k * MW, 0f);
            if (ta) {
                // A stored K×M: op(A)'s column p is already contiguous along i.
                for (int p = 0; p < k; p++) System.arraycopy(a, ao + p * lda + i0, dst, base + p * MW, rows);
            } else {
                for (int r = 0; r < rows; r++) {
                    int s = ao + (i0 + r) * lda;
                    for (int p = 0, d = base + r; p < k; p++, d += MW) dst[d] = a[s + p];
                }
            }
        }
        return dst;
    }

    /**
     * Row tiles [q0, q1) × columns [j0, j1): the tiles of one panel side by side, so the panel stays in cache. Each
     * tile goes through a small column-major scratch rather than masked gathers and scatters in the tile itself:
     * those made the tile too big for C1 ("out of virtual registers"), which left it running unoptimised for
     * seconds before C2 took it.
     */
    static void tiles(int q0, int q1, int j0, int j1, int m, int k, float[] panels, float[] b, int bo, int bps,
                      int bjs, float[] c, int co, int ldc, boolean accumulate) {
        float[] buf = SCRATCH.get().tile;
        for (int q = q0; q < q1; q++) {
            int rows = Math.min(MW, m - q * MW);
            for (int j = j0; j < j1; j += NJ) {
                int cols = Math.min(NJ, j1 - j), cp = co + q * MW * ldc + j;
                if (accumulate) {
                    for (int r = 0; r < rows; r++) for (int t = 0; t < cols; t++) buf[t * MW + r] = c[cp + r * ldc + t];
                }
                tile(k, cols, panels, q * k * MW, b, bo + j * bjs, bps, bjs, buf, accumulate);
                for (int r = 0; r < rows; r++) for (int t = 0; t < cols; t++) c[cp + r * ldc + t] = buf[t * MW + r];
            }
        }
    }

    /**
     * buf[t·MW + r] (+)= Σ_p A(r, p)·B(p, t) over one panel, t &lt; NJ: columns past {@code cols} re-read the last
     * valid column of B (their results are not copied out).
     */
    private static void tile(int k, int cols, float[] ap, int apo, float[] b, int bp, int bps, int bjs, float[] buf,
                             boolean load) {
        int b0 = bp, b1 = bp + Math.min(1, cols - 1) * bjs, b2 = bp + Math.min(2, cols - 1) * bjs;
        int b3 = bp + Math.min(3, cols - 1) * bjs, b4 = bp + Math.min(4, cols - 1) * bjs, b5 = bp + Math.min(5, cols - 1) * bjs;
        FloatVector s0a, s0b, s1a, s1b, s2a, s2b, s3a, s3b, s4a, s4b, s5a, s5b;
        s0a = s0b = s1a = s1b = s2a = s2b = s3a = s3b = s4a = s4b = s5a = s5b = FloatVector.zero(S);
        if (load) {
            s0a = FloatVector.fromArray(S, buf, 0); s0b = FloatVector.fromArray(S, buf, VL);
            s1a = FloatVector.fromArray(S, buf, MW); s1b = FloatVector.fromArray(S, buf, MW + VL);
            s2a = FloatVector.fromArray(S, buf, 2 * MW); s2b = FloatVector.fromArray(S, buf, 2 * MW + VL);
            s3a = FloatVector.fromArray(S, buf, 3 * MW); s3b = FloatVector.fromArray(S, buf, 3 * MW + VL);
            s4a = FloatVector.fromArray(S, buf, 4 * MW); s4b = FloatVector.fromArray(S, buf, 4 * MW + VL);
            s5a = FloatVector.fromArray(S, buf, 5 * MW); s5b = FloatVector.fromArray(S, buf, 5 * MW + VL);
        }
        for (int p = 0, pa = apo, pb = 0; p < k; p++, pa += MW, pb += bps) {
            FloatVector xa = FloatVector.fromArray(S, ap, pa), xb = FloatVector.fromArray(S, ap, pa + VL);
            FloatVector y = FloatVector.broadcast(S, b[b0 + pb]);
            s0a = xa.fma(y, s0a); s0b = xb.fma(y, s0b);
            y = FloatVector.broadcast(S, b[b1 + pb]);
            s1a = xa.fma(y, s1a); s1b = xb.fma(y, s1b);
            y = FloatVector.broadcast(S, b[b2 + pb]);
            s2a = xa.fma(y, s2a); s2b = xb.fma(y, s2b);
            y = FloatVector.broadcast(S, b[b3 + pb]);
            s3a = xa.fma(y, s3a); s3b = xb.fma(y, s3b);
            y = FloatVector.broadcast(S, b[b4 + pb]);
            s4a = xa.fma(y, s4a); s4b = xb.fma(y, s4b);
            y = FloatVector.broadcast(S, b[b5 + pb]);
            s5a = xa.fma(y, s5a); s5b = xb.fma(y, s5b);
        }
        s0a.intoArray(buf, 0); s0b.intoArray(buf, VL);
        s1a.intoArray(buf, MW); s1b.intoArray(buf, MW + VL);
        s2a.intoArray(buf, 2 * MW); s2b.intoArray(buf, 2 * MW + VL);
        s3a.intoArray(buf, 3 * MW); s3b.intoArray(buf, 3 * MW + VL);
        s4a.intoArray(buf, 4 * MW); s4b.intoArray(buf, 4 * MW + VL);
        s5a.intoArray(buf, 5 * MW); s5b.intoArray(buf, 5 * MW + VL);
    }
}
