package dev.kiln.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
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
     * (owned by the calling thread for the whole call; the workers read it, or pack their own panels into it), each
     * thread's C tile and the split by panels.
     */
    private static final class Scratch {
        float[] panels = new float[0];
        final float[] tile = new float[NJ * MW];
        final ByPanels byPanels = new ByPanels();
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** {@link Gemm#gemmJava} through the column tile; m, n, k &gt; 0. */
    static void gemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                     float[] c, int co, int ldc, boolean accumulate) {
        Scratch scratch = SCRATCH.get();
        int size = (m + MW - 1) / MW * k * MW;
        if (scratch.panels.length < size) scratch.panels = new float[size];
        float[] panels = scratch.panels;
        int bps = tb ? 1 : ldb, bjs = tb ? ldb : 1;   // B(p, j) at bo + p·bps + j·bjs
        int rowTiles = (m + MW - 1) / MW, colTiles = (n + NJ - 1) / NJ;
        if (!Gemm.splits((long) m * n * k)) {
            pack(ta, m, k, a, ao, lda, panels);
            tiles(0, rowTiles, 0, n, m, k, panels, b, bo, bps, bjs, c, co, ldc, accumulate);
            return;
        }
        if (rowTiles % Parallel.THREADS == 0 && (long) n * k <= PANEL_SPLIT_B) {
            ByPanels body = scratch.byPanels;
            body.set(ta, m, n, k, a, ao, lda, panels, b, bo, bps, bjs, c, co, ldc, accumulate);
            try {
                Parallel.forRange(rowTiles, 1, body);
            } finally {
                body.clear();
            }
            return;
        }
        pack(ta, m, k, a, ao, lda, panels);
        Gemm.split(true, rowTiles >= colTiles, rowTiles, colTiles, m, n, k, panels, 0, 0, 0, b, bo, bps, bjs, c, co, ldc, accumulate);
    }

    /**
     * The largest B (floats) split by row panels: each thread then streams all of B once per panel, which should stay
     * in its own L2 (half of the 1 MB a core of the measuring machine has); above it the split by columns, where
     * each thread streams half of B.
     */
    static final long PANEL_SPLIT_B = 1L << 17;

    /**
     * The split by row panels, when they share out evenly over the pool: each thread packs its own panels of A
     * (disjoint parts of the caller's scratch, so no thread waits on another's) and sweeps all of C's columns with
     * them, instead of the caller packing all of A before a split by columns. Packing 128×128 takes ~5 µs (2% of
     * the one-core 128×128·784×128ᵀ, but ~3.5% of its ~150 µs on two threads, all of it serial); split by panels,
     * the best two-thread time went from ~143 µs to ~130 µs (minimums over 2,000 calls on a quiet 2-core machine).
     * Each thread reads all of B (400 KB, from its own L2) rather than half of it four times over, and writes whole
     * rows of C, sharing no cache line with the other thread.
     * One per calling thread, in its {@link Scratch}, reused: no allocation per call.
     */
    private static final class ByPanels implements Parallel.RangeBody {
        boolean ta, accumulate;
        int m, n, k, ao, lda, bo, bps, bjs, co, ldc;
        float[] a, panels, b, c;

        void set(boolean ta, int m, int n, int k, float[] a, int ao, int lda, float[] panels, float[] b, int bo, int bps,
                 int bjs, float[] c, int co, int ldc, boolean accumulate) {
            this.ta = ta; this.m = m; this.n = n; this.k = k;
            this.a = a; this.ao = ao; this.lda = lda; this.panels = panels;
            this.b = b; this.bo = bo; this.bps = bps; this.bjs = bjs;
            this.c = c; this.co = co; this.ldc = ldc; this.accumulate = accumulate;
        }

        /** Drops the operands so an idle thread's scratch keeps no model's arrays alive. */
        void clear() {
            a = panels = b = c = null;
        }

        @Override
        public void run(int q0, int q1) {
            packPanels(ta, q0, q1, m, k, a, ao, lda, panels);
            tiles(q0, q1, 0, n, m, k, panels, b, bo, bps, bjs, c, co, ldc, accumulate);
        }
    }

    /** op(A) (m×k) into {@code dst} as zero-padded panels of MW rows, K-major; returns dst. */
    static float[] pack(boolean ta, int m, int k, float[] a, int ao, int lda, float[] dst) {
        packPanels(ta, 0, (m + MW - 1) / MW, m, k, a, ao, lda, dst);
        return dst;
    }

    /** Panels [q0, q1) of {@link #pack}. */
    private static void packPanels(boolean ta, int q0, int q1, int m, int k, float[] a, int ao, int lda, float[] dst) {
        for (int q = q0; q < q1; q++) {
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
                if (TRANSPOSE && rows == MW && cols == NJ) storeRows(buf, c, cp, ldc);
                else for (int r = 0; r < rows; r++) for (int t = 0; t < cols; t++) c[cp + r * ldc + t] = buf[t * MW + r];
            }
        }
    }

    /**
     * Whether {@link #storeRows} can run: rows of 8 lanes (6 used) must fit in a vector. With 16 lanes (AVX-512)
     * the scalar copy of full tiles cost ~38 µs of the 273 µs of a one-core 128×128·784×128ᵀ (measured by copying
     * into an L1-resident dummy instead of C; the tiles alone take ~227 µs, ~113 GFLOP/s), more than OpenBLAS's whole
     * lead. The vector store brings the product to ~258 µs (one core, bench/gemm --cpu-time: 89.5 → 94.4 GFLOP/s,
     * OpenBLAS 96; 32×128·784×128ᵀ 84 → 97, OpenBLAS 79). Gathering each row from the tile instead (one masked gather
     * per two rows) was slower than the scalar copy: 292 µs.
     */
    static final boolean TRANSPOSE = VL % 8 == 0 && NJ <= 8;
    /** Lanes per row of the transposed tile, and rows per vector. */
    private static final int ROW = 8, PER = VL / ROW;
    /** selectFrom indices interleaving groups of g = 1, 2, 4 lanes of two vectors: low halves, then high halves. */
    private static final FloatVector LO1 = FloatVector.fromArray(S, zip(1, 0), 0), HI1 = FloatVector.fromArray(S, zip(1, VL / 2), 0),
        LO2 = FloatVector.fromArray(S, zip(2, 0), 0), HI2 = FloatVector.fromArray(S, zip(2, VL / 2), 0),
        LO4 = FloatVector.fromArray(S, zip(4, 0), 0), HI4 = FloatVector.fromArray(S, zip(4, VL / 2), 0);
    /** Lanes 8s .. 8s+NJ−1: row s of a transposed vector. */
    private static final VectorMask<Float>[] ROWS = rowMasks();

    static float[] zip(int g, int from) {
        float[] idx = new float[VL];
        for (int i = 0; i < VL; i++) {
            int group = i / (2 * g), within = i % (2 * g);
            idx[i] = within < g ? from + group * g + within : VL + from + group * g + within - g;
        }
        return idx;
    }

    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[] rowMasks() {
        if (!TRANSPOSE) return null;
        VectorMask<Float>[] m = new VectorMask[PER];
        for (int s = 0; s < PER; s++) m[s] = VectorMask.fromLong(S, ((1L << NJ) - 1) << (ROW * s));
        return m;
    }

    /**
     * A full tile from {@code buf} (column-major, MW rows × NJ columns) into C's rows: per VL rows, the NJ column
     * vectors (two zero columns added) are transposed by three rounds of two-vector interleaves (1, 2, then 4 lanes)
     * into vectors holding PER rows of 8 lanes each, then each row's NJ lanes are stored with a mask. Values are only
     * moved, never combined: the bits are those of the scalar copy.
     */
    private static void storeRows(float[] buf, float[] c, int cp, int ldc) {
        FloatVector zero = FloatVector.zero(S);
        for (int h = 0; h < MW; h += VL) {
            FloatVector c0 = FloatVector.fromArray(S, buf, h), c1 = FloatVector.fromArray(S, buf, MW + h);
            FloatVector c2 = FloatVector.fromArray(S, buf, 2 * MW + h), c3 = FloatVector.fromArray(S, buf, 3 * MW + h);
            FloatVector c4 = FloatVector.fromArray(S, buf, 4 * MW + h), c5 = FloatVector.fromArray(S, buf, 5 * MW + h);
            FloatVector p0 = LO1.selectFrom(c0, c1), p1 = HI1.selectFrom(c0, c1);
            FloatVector p2 = LO1.selectFrom(c2, c3), p3 = HI1.selectFrom(c2, c3);
            FloatVector p4 = LO1.selectFrom(c4, c5), p5 = HI1.selectFrom(c4, c5);
            FloatVector q0 = LO2.selectFrom(p0, p2), q1 = HI2.selectFrom(p0, p2);
            FloatVector q2 = LO2.selectFrom(p1, p3), q3 = HI2.selectFrom(p1, p3);
            FloatVector q4 = LO2.selectFrom(p4, zero), q5 = HI2.selectFrom(p4, zero);
            FloatVector q6 = LO2.selectFrom(p5, zero), q7 = HI2.selectFrom(p5, zero);
            FloatVector r0 = LO4.selectFrom(q0, q4), r1 = HI4.selectFrom(q0, q4);
            FloatVector r2 = LO4.selectFrom(q1, q5), r3 = HI4.selectFrom(q1, q5);
            FloatVector r4 = LO4.selectFrom(q2, q6), r5 = HI4.selectFrom(q2, q6);
            FloatVector r6 = LO4.selectFrom(q3, q7), r7 = HI4.selectFrom(q3, q7);
            // vector rv holds rows v·PER … v·PER + PER − 1 of this block, 8 lanes each; stored here, not through a
            // method taking the vector (which C2 may leave out of line and then box the vector to call)
            int step = PER * ldc;
            for (int s = 0; s < PER; s++) {
                int d = cp + h * ldc + s * ldc - ROW * s;
                VectorMask<Float> m = ROWS[s];
                r0.intoArray(c, d, m);
                r1.intoArray(c, d + step, m);
                r2.intoArray(c, d + 2 * step, m);
                r3.intoArray(c, d + 3 * step, m);
                r4.intoArray(c, d + 4 * step, m);
                r5.intoArray(c, d + 5 * step, m);
                r6.intoArray(c, d + 6 * step, m);
                r7.intoArray(c, d + 7 * step, m);
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
