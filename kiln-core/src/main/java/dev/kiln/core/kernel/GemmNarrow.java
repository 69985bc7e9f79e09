package dev.kiln.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * C = A·op(B) (+C) for a C of at most {@link #N_MAX} columns from an untransposed A — a 10-class head's forward,
 * 32×128·128×10 — on 16-lane vectors. Twin: {@link ScalarKernels#gemm}.
 *
 * <p>Why a kernel of its own. The row tile ({@link Gemm}'s {@code micro1}) puts C's 10 columns in one 16-lane vector
 * and needs a broadcast of A(i, p) per FMA; C2 emits that as a separate {@code vbroadcastss}, which on Zen 4 takes an
 * FP pipe slot, so the tile ran at ~0.55 of OpenBLAS, whose FMA reads the broadcast operand from memory. Here a vector
 * holds 8 values of K × 2 columns instead: lane {@code 8·jj + kk} of vector v of an 8-row block of B is
 * B(8b + kk, 2v + jj), so 5 vectors hold a block's 8×10 values with every lane used, and one in-register permute of
 * A's row (lanes kk ← A(i, 8b + kk), twice) feeds all 5 FMAs: 6 vector operations per 8×10 multiply-adds of a row,
 * against 16 for the row tile. Each lane then holds a partial sum over p ≡ kk (mod 8), and the eight are added at the
 * end in a fixed tree.
 *
 * <p>The bits, therefore: C(i, j) = T(s₀…s₇) (+ C(i, j) before, when accumulating), where s_q is one float FMA chain
 * over p = q, q + 8, … in increasing p from 0, and
 * T = ((s₀ + s₄) + (s₂ + s₆)) + ((s₁ + s₅) + (s₃ + s₇)). That is not {@link Gemm}'s one chain per element, so the
 * stored-transposed A layouts (which keep {@code narrowCols} and the row tile) differ from these in the last bits; but
 * every product this class takes — either layout of B, any M, any thread count, {@link Gemm#pack} or not — gives each
 * row the same bits (GemmNarrowTest spells T out and checks them).
 *
 * <p>B is packed per call (for 10 contiguous columns, two-source permutes: ~0.2 µs for 128×10, against 0.4 by scalar
 * copies); A's row tile is four rows (20 accumulators); K is a multiple of 16 ({@link #takes}).
 *
 * <p>Also here, for the head's other two products (both keep one FMA chain per element): {@link #storeColumnTile}
 * moves the dW tile's C out by register transposes, {@link #packShortK} packs a transposed B with K ≤ 16 the same way,
 * and {@link #shortK} multiplies a short K with B as it lies on a 4-row × 64-column tile.
 */
final class GemmNarrow {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Only a 16-lane species has the 8 × 2 lane layout; elsewhere {@link Gemm}'s own tiles take these products. */
    static final boolean ON = S.length() == 16;
    /** The widest C this kernel takes: 5 vectors of 2 columns. */
    static final int N_MAX = 10;
    /** Floats per 8-row block of packed B. */
    private static final int BLOCK = 8 * N_MAX;
    /** Row tile. */
    private static final int ROWS = 4;

    private static final VectorShuffle<Float> LO = ON ? VectorShuffle.fromOp(S, l -> l & 7) : null;
    private static final VectorShuffle<Float> HI = ON ? VectorShuffle.fromOp(S, l -> 8 + (l & 7)) : null;
    private static final VectorShuffle<Float> X4 = ON ? VectorShuffle.fromOp(S, l -> l ^ 4) : null;
    private static final VectorShuffle<Float> X2 = ON ? VectorShuffle.fromOp(S, l -> l ^ 2) : null;
    private static final VectorShuffle<Float> X1 = ON ? VectorShuffle.fromOp(S, l -> l ^ 1) : null;
    private static final VectorMask<Float> M4 = ON ? VectorMask.fromLong(S, 0xF0F0L) : null;
    private static final VectorMask<Float> M2 = ON ? VectorMask.fromLong(S, 0xCCCCL) : null;

    /**
     * Index vectors for packing a contiguous 8×10 block (5 input vectors) into its 5 packed vectors: packed vector v is
     * built by four two-source selections, in0|in1, then (so far)|in2, |in3, |in4; {@code PACK[(4v + t)·16 + l]}.
     */
    private static final float[] PACK = new float[5 * 4 * 16];

    static {
        for (int v = 0; v < 5; v++) {
            for (int l = 0; l < 16; l++) {
                int kk = l & 7, jj = l >> 3, f = kk * N_MAX + 2 * v + jj, u = f >> 4, lane = f & 15;
                for (int t = 0; t < 4; t++) {
                    int ix = t == 0 ? (u == 0 ? lane : u == 1 ? 16 + lane : 0) : (u == t + 1 ? 16 + lane : l);
                    PACK[(4 * v + t) * 16 + l] = ix;
                }
            }
        }
    }

    private GemmNarrow() {}

    /**
     * Whether this kernel computes op(A)·op(B) with C {@code n} wide and K of {@code k}: A untransposed (op(A) = Aᵀ keeps
     * {@link Gemm}'s tiles) and K a whole number of 16-value steps (hidden sizes such as 128 or 784; a ragged K
     * stays on the row tile). C2's compile of {@link #rows} is this kernel's cost: its arena peaks at 28–38 MB
     * (NMT, {@code -XX:CompileCommand=MemStat}), against ≤ 16 MB for any other kernel, and the MLP benchmark's peak RSS
     * rose from ~398 to ~418 MB with it. Handling a ragged K's tail in the same method took it to 50 MB (RSS ~430);
     * reducing the tile's sums in a method of its own, through memory, cost 0.4 µs of 1.0.
     */
    static boolean takes(boolean ta, int n, int k) {
        return ON && !ta && n <= N_MAX && k % 16 == 0;
    }

    /** Floats {@link #pack} writes for a K of {@code k}. */
    static int packedSize(int k) {
        return k * N_MAX;
    }

    /** op(B) (k × n, n ≤ 10; B row-major with row stride ldb, transposed when {@code tb}) in this kernel's layout. */
    static void pack(boolean tb, float[] b, int bo, int ldb, int k, int n, float[] dst) {
        if (tb) {
            packTransposed(b, bo, ldb, k, n, dst);
            return;
        }
        int blocks = k / 8, fast = n == N_MAX && ldb == N_MAX ? k / 8 : 0;
        for (int v = 0; v < 5 && fast > 0; v++) packVector(v, b, bo, fast, dst);
        // The rest (fewer columns, or B's rows strided): zeros, then B's values where they go.
        java.util.Arrays.fill(dst, fast * BLOCK, blocks * BLOCK, 0f);
        for (int j = 0; j < n; j++) {
            int d = (j >> 1) * 16 + (j & 1) * 8;
            for (int p = fast * 8, src = bo + p * ldb + j; p < k; p++, src += ldb) dst[(p >> 3) * BLOCK + d + (p & 7)] = b[src];
        }
    }

    /**
     * Packed vector v of each of the first {@code blocks} 8-row blocks of a contiguous 10-column B. A method of its own,
     * called five times a product, so that C2 compiles it after a few hundred training steps rather than ~600: code
     * that runs once a step reaches C2 only after ~600 calls, and until then every vector is a heap object.
     */
    private static void packVector(int v, float[] b, int bo, int blocks, float[] dst) {
        int q = 4 * v * 16;
        FloatVector s0 = FloatVector.fromArray(S, PACK, q), s1 = FloatVector.fromArray(S, PACK, q + 16);
        FloatVector s2 = FloatVector.fromArray(S, PACK, q + 32), s3 = FloatVector.fromArray(S, PACK, q + 48);
        for (int blk = 0; blk < blocks; blk++) {
            int o = bo + blk * BLOCK;
            FloatVector t = s0.selectFrom(FloatVector.fromArray(S, b, o), FloatVector.fromArray(S, b, o + 16));
            t = s1.selectFrom(t, FloatVector.fromArray(S, b, o + 32));
            t = s2.selectFrom(t, FloatVector.fromArray(S, b, o + 48));
            t = s3.selectFrom(t, FloatVector.fromArray(S, b, o + 64));
            t.intoArray(dst, blk * BLOCK + v * 16);
        }
    }

    /**
     * {@link #pack} for a B stored transposed (n rows of K, as a PyTorch-style weight lies): columns 2v and 2v+1 of op(B)
     * are two contiguous rows, and an 8-row block of packed vector v is their next 8 values side by side, so two loads
     * and two half-and-half selections fill two blocks. Per core, 32×128·(10×128)ᵀ took 2.8 µs with the scalar scatter
     * this replaces and takes 1.16 µs with it (OpenBLAS: 0.96).
     */
    private static void packTransposed(float[] b, int bo, int ldb, int k, int n, float[] dst) {
        int blocks = k / 8;
        if (n < N_MAX) java.util.Arrays.fill(dst, 0, blocks * BLOCK, 0f);
        for (int v = 0; v < n / 2; v++) packPair(v, b, bo + 2 * v * ldb, ldb, blocks, dst);
        if (n % 2 == 1) {
            int j = n - 1, d = (j >> 1) * 16;
            for (int p = 0, src = bo + j * ldb; p < k; p++, src++) dst[(p >> 3) * BLOCK + d + (p & 7)] = b[src];
        }
    }

    /** Packed vector v of every block, from stored rows 2v (at {@code src}) and 2v+1 of a transposed B; blocks is even. */
    private static void packPair(int v, float[] b, int src, int ldb, int blocks, float[] dst) {
        FloatVector lo = FloatVector.fromArray(S, ZIP, 96), hi = FloatVector.fromArray(S, ZIP, 112);
        for (int blk = 0; blk < blocks; blk += 2) {
            FloatVector x = FloatVector.fromArray(S, b, src + 8 * blk), y = FloatVector.fromArray(S, b, src + ldb + 8 * blk);
            lo.selectFrom(x, y).intoArray(dst, blk * BLOCK + v * 16);
            hi.selectFrom(x, y).intoArray(dst, (blk + 1) * BLOCK + v * 16);
        }
    }

    /** Per-thread scratch: packed B, and the reduced tile of {@link #rows}. */
    private static final class Scratch {
        float[] packed = new float[0];
        final float[] buf = new float[5 * 16];
        final Body body = new Body();
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** This thread's scratch for {@link #rows}. */
    static float[] buf() {
        return SCRATCH.get().buf;
    }

    /**
     * C = A·op(B) (+C): B packed on the calling thread, then the rows, over the pool when the product is big enough
     * ({@link Gemm#splits}) unless {@code serial} (a caller that already split its work).
     */
    static void gemm(boolean tb, int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb, float[] c,
                     int co, int ldc, boolean accumulate, boolean serial) {
        Scratch s = SCRATCH.get();
        if (s.packed.length < packedSize(k)) s.packed = new float[packedSize(k)];
        pack(tb, b, bo, ldb, k, n, s.packed);
        if (serial || !Gemm.splits((long) m * n * k)) {
            // Eight rows a call, for the same reason as packVector: C2 counts calls, and a head's product comes once a step.
            for (int i = 0; i < m; i += 2 * ROWS) rows(i, Math.min(m, i + 2 * ROWS), n, k, a, ao, lda, s.packed, c, co, ldc, accumulate, s.buf);
            return;
        }
        Body body = s.body;
        body.set(m, n, k, a, ao, lda, s.packed, c, co, ldc, accumulate);
        try {
            Parallel.forRange((m + ROWS - 1) / ROWS, 1, body);
        } finally {
            body.clear();
        }
    }

    /** One product's rows as a reusable body (a capturing lambda would be garbage on every call). */
    private static final class Body implements Parallel.RangeBody {
        int m, n, k, ao, lda, co, ldc;
        float[] a, packed, c;
        boolean accumulate;

        void set(int m, int n, int k, float[] a, int ao, int lda, float[] packed, float[] c, int co, int ldc, boolean accumulate) {
            this.m = m; this.n = n; this.k = k;
            this.a = a; this.ao = ao; this.lda = lda;
            this.packed = packed;
            this.c = c; this.co = co; this.ldc = ldc; this.accumulate = accumulate;
        }

        void clear() {
            a = packed = c = null;
        }

        @Override
        public void run(int t0, int t1) {
            rows(t0 * ROWS, Math.min(m, t1 * ROWS), n, k, a, ao, lda, packed, c, co, ldc, accumulate, SCRATCH.get().buf);
        }
    }

    /**
     * C[i0:i1, 0:n] (+)= A[i0:i1, :]·B on B packed by {@link #pack}, four rows a tile; a last tile of fewer rows repeats
     * its last row (not stored). {@code buf}: {@link Scratch#buf}.
     */
    static void rows(int i0, int i1, int n, int k, float[] a, int ao, int lda, float[] packed, float[] c, int co, int ldc,
                     boolean accumulate, float[] buf) {
        for (int i = i0; i < i1; i += ROWS) {
            int rows = Math.min(ROWS, i1 - i), last = rows - 1;
            int r0 = ao + i * lda, r1 = r0 + Math.min(1, last) * lda, r2 = r0 + Math.min(2, last) * lda, r3 = r0 + Math.min(3, last) * lda;
            FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c04 = c00;
            FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00, c14 = c00;
            FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c24 = c00;
            FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00, c34 = c00;
            for (int p = 0; p < k; p += 16) {
                FloatVector x0 = FloatVector.fromArray(S, a, r0 + p), x1 = FloatVector.fromArray(S, a, r1 + p);
                FloatVector x2 = FloatVector.fromArray(S, a, r2 + p), x3 = FloatVector.fromArray(S, a, r3 + p);
                int pb = p * N_MAX;
                FloatVector b0 = FloatVector.fromArray(S, packed, pb), b1 = FloatVector.fromArray(S, packed, pb + 16);
                FloatVector b2 = FloatVector.fromArray(S, packed, pb + 32), b3 = FloatVector.fromArray(S, packed, pb + 48);
                FloatVector b4 = FloatVector.fromArray(S, packed, pb + 64);
                FloatVector y = x0.rearrange(LO);
                c00 = y.fma(b0, c00); c01 = y.fma(b1, c01); c02 = y.fma(b2, c02); c03 = y.fma(b3, c03); c04 = y.fma(b4, c04);
                y = x1.rearrange(LO);
                c10 = y.fma(b0, c10); c11 = y.fma(b1, c11); c12 = y.fma(b2, c12); c13 = y.fma(b3, c13); c14 = y.fma(b4, c14);
                y = x2.rearrange(LO);
                c20 = y.fma(b0, c20); c21 = y.fma(b1, c21); c22 = y.fma(b2, c22); c23 = y.fma(b3, c23); c24 = y.fma(b4, c24);
                y = x3.rearrange(LO);
                c30 = y.fma(b0, c30); c31 = y.fma(b1, c31); c32 = y.fma(b2, c32); c33 = y.fma(b3, c33); c34 = y.fma(b4, c34);
                pb += BLOCK;
                b0 = FloatVector.fromArray(S, packed, pb); b1 = FloatVector.fromArray(S, packed, pb + 16);
                b2 = FloatVector.fromArray(S, packed, pb + 32); b3 = FloatVector.fromArray(S, packed, pb + 48);
                b4 = FloatVector.fromArray(S, packed, pb + 64);
                y = x0.rearrange(HI);
                c00 = y.fma(b0, c00); c01 = y.fma(b1, c01); c02 = y.fma(b2, c02); c03 = y.fma(b3, c03); c04 = y.fma(b4, c04);
                y = x1.rearrange(HI);
                c10 = y.fma(b0, c10); c11 = y.fma(b1, c11); c12 = y.fma(b2, c12); c13 = y.fma(b3, c13); c14 = y.fma(b4, c14);
                y = x2.rearrange(HI);
                c20 = y.fma(b0, c20); c21 = y.fma(b1, c21); c22 = y.fma(b2, c22); c23 = y.fma(b3, c23); c24 = y.fma(b4, c24);
                y = x3.rearrange(HI);
                c30 = y.fma(b0, c30); c31 = y.fma(b1, c31); c32 = y.fma(b2, c32); c33 = y.fma(b3, c33); c34 = y.fma(b4, c34);
            }
            // Per vector v, the four rows' partial sums in one tree: lanes with bit 2 set take row 1's (row 3's) sums
            // of kk and kk ^ 4, then lanes with bit 1 set the other pair's, then kk ^ 1; lane 8·jj + {0, 4, 2, 6}
            // ends with rows 0, 1, 2, 3. Float addition commutes, so every row meets the same tree.
            FloatVector u, z;
            u = c00.blend(c10, M4).add(c10.blend(c00, M4).rearrange(X4));
            z = c20.blend(c30, M4).add(c30.blend(c20, M4).rearrange(X4));
            z = u.blend(z, M2).add(z.blend(u, M2).rearrange(X2));
            z.add(z.rearrange(X1)).intoArray(buf, 0);
            u = c01.blend(c11, M4).add(c11.blend(c01, M4).rearrange(X4));
            z = c21.blend(c31, M4).add(c31.blend(c21, M4).rearrange(X4));
            z = u.blend(z, M2).add(z.blend(u, M2).rearrange(X2));
            z.add(z.rearrange(X1)).intoArray(buf, 16);
            u = c02.blend(c12, M4).add(c12.blend(c02, M4).rearrange(X4));
            z = c22.blend(c32, M4).add(c32.blend(c22, M4).rearrange(X4));
            z = u.blend(z, M2).add(z.blend(u, M2).rearrange(X2));
            z.add(z.rearrange(X1)).intoArray(buf, 32);
            u = c03.blend(c13, M4).add(c13.blend(c03, M4).rearrange(X4));
            z = c23.blend(c33, M4).add(c33.blend(c23, M4).rearrange(X4));
            z = u.blend(z, M2).add(z.blend(u, M2).rearrange(X2));
            z.add(z.rearrange(X1)).intoArray(buf, 48);
            u = c04.blend(c14, M4).add(c14.blend(c04, M4).rearrange(X4));
            z = c24.blend(c34, M4).add(c34.blend(c24, M4).rearrange(X4));
            z = u.blend(z, M2).add(z.blend(u, M2).rearrange(X2));
            z.add(z.rearrange(X1)).intoArray(buf, 64);
            // To C: lane 8·jj + {0, 4, 2, 6} of vector v, i.e. buf[16v + 8jj + ...] = buf[8j + ...], is
            // C(i + {0, 1, 2, 3}, j). Row by row, with no branch on the row count: a batch-32 training run never takes
            // one for fewer than 4 rows, so a one-sample prediction after training hit C2's uncommon trap there and ran
            // this method unoptimised (boxing every vector) until it was compiled again; the predict benchmark's p99
            // went from 17 to 35–40 µs.
            for (int r = 0; r < rows; r++) {
                int q = (r & 1) << 2 | (r & 2), cp = co + (i + r) * ldc;
                if (n == N_MAX && !accumulate) {
                    c[cp] = buf[q]; c[cp + 1] = buf[q + 8]; c[cp + 2] = buf[q + 16]; c[cp + 3] = buf[q + 24];
                    c[cp + 4] = buf[q + 32]; c[cp + 5] = buf[q + 40]; c[cp + 6] = buf[q + 48]; c[cp + 7] = buf[q + 56];
                    c[cp + 8] = buf[q + 64]; c[cp + 9] = buf[q + 72];
                } else {
                    for (int j = 0; j < n; j++) {
                        float v = buf[q + j * 8];
                        c[cp + j] = accumulate ? c[cp + j] + v : v;
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- the dW tile's C, transposed in registers

    /**
     * selectFrom indices interleaving groups of g = 1, 2, 4, 8 lanes of two vectors, low halves then high halves (as
     * {@link GemmColumns}' transposes build them): {@code ZIP[(2·log₂g + half)·16 + lane]}.
     */
    private static final float[] ZIP = new float[8 * 16];

    static {
        for (int z = 0; z < 8 && ON; z++) System.arraycopy(GemmColumns.zip(1 << (z >> 1), (z & 1) * 8), 0, ZIP, z * 16, 16);
    }

    /**
     * {@link Gemm}'s narrow column tile's C (2·16 rows × 10 columns, column-major in {@code buf}: {@code t·32 + r}) into
     * C's first n (8 ≤ n ≤ 10) columns: per 16 rows, the 10 column vectors (6 zero ones added) go through four rounds of
     * two-vector interleaves (1, 2, 4, then 8 lanes; {@link #ZIP}) into one vector per row, stored under a mask of n
     * lanes. Values are only moved, so the bits are those of the scalar copy, which cost ~1.5 cycles a value with its
     * strided stores (128×32ᵀ·32×10 per core: 1.44 µs, 1.1–1.2 with this). Small loops, in one method: as straight-line
     * code the method was too big for C1 ("out of virtual registers", which left it unoptimised for good), and so was
     * the tile's method with these loops written into it; split into loop-free methods, each too big for C2 to inline
     * into the tile and reaching C2 on its own only after ~5,000 calls, boxing every vector until then (the LSTM
     * classifier's Dense(1) head allocated 70 KB a step throughout its benchmark). Its loops' back edges bring this
     * one to C2 after ~600 calls.
     */
    static void storeColumnTile(int n, float[] buf, float[] c, int cp, int ldc) {
        float[] zip = ZIP;
        FloatVector l1 = FloatVector.fromArray(S, zip, 0), h1 = FloatVector.fromArray(S, zip, 16);
        FloatVector l2 = FloatVector.fromArray(S, zip, 32), h2 = FloatVector.fromArray(S, zip, 48);
        FloatVector l4 = FloatVector.fromArray(S, zip, 64), h4 = FloatVector.fromArray(S, zip, 80);
        FloatVector l8 = FloatVector.fromArray(S, zip, 96), h8 = FloatVector.fromArray(S, zip, 112);
        FloatVector zero = FloatVector.zero(S);
        VectorMask<Float> cols = VectorMask.fromLong(S, (1L << n) - 1);
        int pairs = PAIRS, zipped = ZIPPED;
        for (int half = 0; half < 32; half += 16) {
            // Round 1: rows 0–7 (l) or 8–15 (h) × a column pair, lane 2·row + column.
            for (int t = 0; t < 10; t += 2) {
                FloatVector e0 = FloatVector.fromArray(S, buf, t * 32 + half), e1 = FloatVector.fromArray(S, buf, (t + 1) * 32 + half);
                l1.selectFrom(e0, e1).intoArray(buf, pairs + t * 16);
                h1.selectFrom(e0, e1).intoArray(buf, pairs + t * 16 + 16);
            }
            // Round 2: rows 0–3, 4–7 (from the l vectors), 8–11, 12–15 × columns 0–3, 4–7, 8–11, lane 4·row + column.
            for (int hh = 0, pp = pairs, q = zipped; hh < 2; hh++, pp += 16, q += 96) {
                FloatVector p01 = FloatVector.fromArray(S, buf, pp), p23 = FloatVector.fromArray(S, buf, pp + 32);
                FloatVector p45 = FloatVector.fromArray(S, buf, pp + 64), p67 = FloatVector.fromArray(S, buf, pp + 96);
                FloatVector p89 = FloatVector.fromArray(S, buf, pp + 128);
                l2.selectFrom(p01, p23).intoArray(buf, q); l2.selectFrom(p45, p67).intoArray(buf, q + 16);
                l2.selectFrom(p89, zero).intoArray(buf, q + 32);
                h2.selectFrom(p01, p23).intoArray(buf, q + 48); h2.selectFrom(p45, p67).intoArray(buf, q + 64);
                h2.selectFrom(p89, zero).intoArray(buf, q + 80);
            }
            // Rounds 3 and 4, a quad of rows at a time: row pairs × columns 0–7 (r) and 8–15 (s), then rows.
            for (int quad = 0, q = zipped, d = cp + half * ldc; quad < 4; quad++, q += 48, d += 4 * ldc) {
                FloatVector g0 = FloatVector.fromArray(S, buf, q), g4 = FloatVector.fromArray(S, buf, q + 16);
                FloatVector g8 = FloatVector.fromArray(S, buf, q + 32);
                FloatVector r0 = l4.selectFrom(g0, g4), r2 = h4.selectFrom(g0, g4);
                FloatVector s0 = l4.selectFrom(g8, zero), s2 = h4.selectFrom(g8, zero);
                l8.selectFrom(r0, s0).intoArray(c, d, cols);
                h8.selectFrom(r0, s0).intoArray(c, d + ldc, cols);
                l8.selectFrom(r2, s2).intoArray(c, d + 2 * ldc, cols);
                h8.selectFrom(r2, s2).intoArray(c, d + 3 * ldc, cols);
            }
        }
    }

    /** Where {@link Gemm}'s narrow column tile's transposes leave rounds 1 and 2 (10 and 12 vectors) after its 20. */
    private static final int PAIRS = 20 * 16, ZIPPED = 30 * 16;
    /** Floats of the column tile's buffer that those transposes use. */
    static final int COLUMN_TILE_BUF = 42 * 16;

    // ---------------------------------------------------------------- a transposed B with a short K, packed in registers

    /**
     * 32 columns of op(B) = Bᵀ with K ≤ 16 (the head's dX = dY·Wᵀ, K = 10), for a {@link Gemm} panel (ld = 32) or
     * {@link #shortK}'s row-major B (ld = its width): B's rows j…j+31 (K values each, row stride {@code bjs}, from
     * {@code bp}) become rows p of dst (32 values each, at {@code base + p·ld}), for p &lt; kc. Per 16 rows of B: each
     * row is one unaligned load (its lanes past K unused), and four rounds of two-vector interleaves transpose the 16
     * (32 selections, then up to 8 per 4 values of K). A row group whose last load would run past B's end is copied to
     * {@code tmp} first. Values are only moved. Against the scalar copy (~1.5 cycles a value, strided loads), per core:
     * 32×10·128×10ᵀ 1.75 → 1.43–1.56 µs, 128×10·128×10ᵀ 4.71 → 4.35 µs.
     */
    static void packShortK(float[] b, int bp, int bjs, int kc, float[] dst, int base, int ld, float[] tmp) {
        for (int g = 0; g < 32; g += 16) {
            int src = bp + g * bjs;
            float[] from = b;
            int stride = bjs;
            if (src + 15 * bjs + 16 > b.length) {
                for (int r = 0; r < 16; r++) System.arraycopy(b, src + r * bjs, tmp, ROWS_AT + r * 16, kc);
                from = tmp;
                src = ROWS_AT;
                stride = 16;
            }
            zipRows(from, src, stride, tmp, 0);
            zipRows(from, src + 8 * stride, stride, tmp, 128);
            for (int quad = 0; 4 * quad < kc; quad++) unzipQuad(kc, quad, tmp, dst, base + g, ld);
        }
    }

    /** {@link #packShortK}'s scratch: 16 q vectors, then 16 rows of 16 (a row group at B's end). */
    static final int SHORT_K_TMP = 32 * 16;
    private static final int ROWS_AT = 16 * 16;

    /**
     * Rounds 1 and 2 for 8 rows of B (from {@code src}, stride {@code stride}): q(quad, group) = lanes 4·p' + row for
     * p = 4·quad + p', rows 4·group'… of these 8, at {@code tmp[at + (quad·2 + group')·16]}.
     */
    private static void zipRows(float[] b, int src, int stride, float[] tmp, int at) {
        FloatVector l1 = FloatVector.fromArray(S, ZIP, 0), h1 = FloatVector.fromArray(S, ZIP, 16);
        FloatVector l2 = FloatVector.fromArray(S, ZIP, 32), h2 = FloatVector.fromArray(S, ZIP, 48);
        FloatVector r0 = FloatVector.fromArray(S, b, src), r1 = FloatVector.fromArray(S, b, src + stride);
        FloatVector r2 = FloatVector.fromArray(S, b, src + 2 * stride), r3 = FloatVector.fromArray(S, b, src + 3 * stride);
        FloatVector r4 = FloatVector.fromArray(S, b, src + 4 * stride), r5 = FloatVector.fromArray(S, b, src + 5 * stride);
        FloatVector r6 = FloatVector.fromArray(S, b, src + 6 * stride), r7 = FloatVector.fromArray(S, b, src + 7 * stride);
        FloatVector p01l = l1.selectFrom(r0, r1), p01h = h1.selectFrom(r0, r1);
        FloatVector p23l = l1.selectFrom(r2, r3), p23h = h1.selectFrom(r2, r3);
        FloatVector p45l = l1.selectFrom(r4, r5), p45h = h1.selectFrom(r4, r5);
        FloatVector p67l = l1.selectFrom(r6, r7), p67h = h1.selectFrom(r6, r7);
        l2.selectFrom(p01l, p23l).intoArray(tmp, at); l2.selectFrom(p45l, p67l).intoArray(tmp, at + 16);
        h2.selectFrom(p01l, p23l).intoArray(tmp, at + 32); h2.selectFrom(p45l, p67l).intoArray(tmp, at + 48);
        l2.selectFrom(p01h, p23h).intoArray(tmp, at + 64); l2.selectFrom(p45h, p67h).intoArray(tmp, at + 80);
        h2.selectFrom(p01h, p23h).intoArray(tmp, at + 96); h2.selectFrom(p45h, p67h).intoArray(tmp, at + 112);
    }

    /** Rounds 3 and 4 for p = 4·quad…4·quad+3 (those below kc stored): 16 rows of B each, to the panel's rows p. */
    private static void unzipQuad(int kc, int quad, float[] tmp, float[] dst, int base, int ld) {
        FloatVector l4 = FloatVector.fromArray(S, ZIP, 64), h4 = FloatVector.fromArray(S, ZIP, 80);
        FloatVector l8 = FloatVector.fromArray(S, ZIP, 96), h8 = FloatVector.fromArray(S, ZIP, 112);
        int q = quad * 32;
        FloatVector g0 = FloatVector.fromArray(S, tmp, q), g1 = FloatVector.fromArray(S, tmp, q + 16);
        FloatVector g2 = FloatVector.fromArray(S, tmp, 128 + q), g3 = FloatVector.fromArray(S, tmp, 128 + q + 16);
        FloatVector r0 = l4.selectFrom(g0, g1), r2 = h4.selectFrom(g0, g1), s0 = l4.selectFrom(g2, g3), s2 = h4.selectFrom(g2, g3);
        int p = 4 * quad, d = base + p * ld;
        l8.selectFrom(r0, s0).intoArray(dst, d);
        if (p + 1 < kc) h8.selectFrom(r0, s0).intoArray(dst, d + ld);
        if (p + 2 < kc) l8.selectFrom(r2, s2).intoArray(dst, d + 2 * ld);
        if (p + 3 < kc) h8.selectFrom(r2, s2).intoArray(dst, d + 3 * ld);
    }

    // ---------------------------------------------------------------- a short K with B as it lies: a wider tile

    /** The widest K {@link #shortK} takes, and its tile's width: 4 rows × 64 columns. */
    static final int SHORT_K = 16, WIDE = 64;

    /**
     * C[0:m − m mod 4, 0:n − n mod 64] (+)= A·B for a short K (≤ {@link #SHORT_K}; the head's dX as {@code Dense} forms
     * it, 32×10·10×128), B row-major read in place, A untransposed; the caller takes the rest of C (the last m mod 4
     * rows and n mod 64 columns) on the row tile, and transposes a stored-transposed B first ({@link #packShortK}). The
     * row tile broadcasts A once per two FMAs and packs B first; this tile, 4 rows × 4 vectors, broadcasts once per
     * four and packs nothing (a short K's panel is a handful of cache lines). Per core 32×10·10×128 went 1.07 →
     * 0.92–1.0 µs with it, then to ~0.85 once each call took one whole 4-row tile (a row count known to the compiler:
     * no clamped row pointers, no guarded stores, no row loop around the K loop) and walked A by the K loop's own
     * induction variable. OpenBLAS takes 0.85–0.93. With K a compile-time constant, where C2 unrolls the K loop, the
     * tile runs 0.72; unrolling it by two by hand measured slower. Each C element is still one FMA chain over p =
     * 0…K−1, so the bits are every other tile's. A call per tile also lets C2 count calls: once a step, as one call,
     * this would reach C2 only after ~600 steps.
     */
    static void shortK(int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb, float[] c, int co, int ldc,
                       boolean accumulate) {
        int cols = n / WIDE * WIDE, rows = m / 4 * 4;
        for (int j = 0; j < cols; j += WIDE) {
            for (int i = 0; i < rows; i += 4) wideTile(i, j, k, a, ao, lda, b, bo, ldb, c, co, ldc, accumulate);
        }
    }

    /** Rows i…i+3 × columns j…j+63 of {@link #shortK}. */
    private static void wideTile(int i, int j, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                                 float[] c, int co, int ldc, boolean accumulate) {
        int q = co + i * ldc + j, a0 = ao + i * lda;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        if (accumulate) {
            c00 = FloatVector.fromArray(S, c, q); c01 = FloatVector.fromArray(S, c, q + 16);
            c02 = FloatVector.fromArray(S, c, q + 32); c03 = FloatVector.fromArray(S, c, q + 48);
            c10 = FloatVector.fromArray(S, c, q + ldc); c11 = FloatVector.fromArray(S, c, q + ldc + 16);
            c12 = FloatVector.fromArray(S, c, q + ldc + 32); c13 = FloatVector.fromArray(S, c, q + ldc + 48);
            c20 = FloatVector.fromArray(S, c, q + 2 * ldc); c21 = FloatVector.fromArray(S, c, q + 2 * ldc + 16);
            c22 = FloatVector.fromArray(S, c, q + 2 * ldc + 32); c23 = FloatVector.fromArray(S, c, q + 2 * ldc + 48);
            c30 = FloatVector.fromArray(S, c, q + 3 * ldc); c31 = FloatVector.fromArray(S, c, q + 3 * ldc + 16);
            c32 = FloatVector.fromArray(S, c, q + 3 * ldc + 32); c33 = FloatVector.fromArray(S, c, q + 3 * ldc + 48);
        }
        // pa, the loop's induction variable, indexes A's four rows at fixed offsets, so their bounds checks can leave
        // the loop; pb, B's row, advances with it.
        for (int pa = a0, end = a0 + k, pb = bo + j; pa < end; pa++, pb += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, pb), b1 = FloatVector.fromArray(S, b, pb + 16);
            FloatVector b2 = FloatVector.fromArray(S, b, pb + 32), b3 = FloatVector.fromArray(S, b, pb + 48);
            FloatVector x = FloatVector.broadcast(S, a[pa]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, a[pa + lda]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, a[pa + 2 * lda]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, a[pa + 3 * lda]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
        }
        c00.intoArray(c, q); c01.intoArray(c, q + 16); c02.intoArray(c, q + 32); c03.intoArray(c, q + 48);
        q += ldc;
        c10.intoArray(c, q); c11.intoArray(c, q + 16); c12.intoArray(c, q + 32); c13.intoArray(c, q + 48);
        q += ldc;
        c20.intoArray(c, q); c21.intoArray(c, q + 16); c22.intoArray(c, q + 32); c23.intoArray(c, q + 48);
        q += ldc;
        c30.intoArray(c, q); c31.intoArray(c, q + 16); c32.intoArray(c, q + 32); c33.intoArray(c, q + 48);
    }
}
