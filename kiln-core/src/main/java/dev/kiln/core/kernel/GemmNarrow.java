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
 * over p = q, q + 8, … in increasing p from 0 (K padded with zeros to a multiple of 16), and
 * T = ((s₀ + s₄) + (s₂ + s₆)) + ((s₁ + s₅) + (s₃ + s₇)). That is not {@link Gemm}'s one chain per element, so the
 * stored-transposed A layouts (which keep {@code narrowCols} and the row tile) differ from these in the last bits; but
 * every product this class takes — either layout of B, any M, any thread count, {@link Gemm#pack} or not — gives each
 * row the same bits (GemmNarrowTest spells T out and checks them).
 *
 * <p>B is packed per call (for 10 contiguous columns, two-source permutes: ~0.2 µs for 128×10, against 0.4 by scalar
 * copies); A's row tile is four rows (20 accumulators), and the last K step reads a zero-padded copy of each row's tail.
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

    /** Whether this kernel computes A·op(B) with C {@code n} wide (op(A) = Aᵀ keeps {@link Gemm}'s tiles). */
    static boolean takes(boolean ta, int n) {
        return ON && !ta && n <= N_MAX;
    }

    /** Floats {@link #pack} writes for a K of {@code k}. */
    static int packedSize(int k) {
        return (k + 15) / 16 * 16 * N_MAX;
    }

    /** op(B) (k × n, n ≤ 10; B row-major with row stride ldb, transposed when {@code tb}) in this kernel's layout. */
    static void pack(boolean tb, float[] b, int bo, int ldb, int k, int n, float[] dst) {
        int bps = tb ? 1 : ldb, bjs = tb ? ldb : 1, blocks = (k + 15) / 16 * 2;
        int fast = !tb && n == N_MAX && ldb == N_MAX ? k / 8 : 0;
        for (int v = 0; v < 5 && fast > 0; v++) {
            int q = 4 * v * 16;
            FloatVector s0 = FloatVector.fromArray(S, PACK, q), s1 = FloatVector.fromArray(S, PACK, q + 16);
            FloatVector s2 = FloatVector.fromArray(S, PACK, q + 32), s3 = FloatVector.fromArray(S, PACK, q + 48);
            for (int blk = 0; blk < fast; blk++) {
                int o = bo + blk * BLOCK;
                FloatVector t = s0.selectFrom(FloatVector.fromArray(S, b, o), FloatVector.fromArray(S, b, o + 16));
                t = s1.selectFrom(t, FloatVector.fromArray(S, b, o + 32));
                t = s2.selectFrom(t, FloatVector.fromArray(S, b, o + 48));
                t = s3.selectFrom(t, FloatVector.fromArray(S, b, o + 64));
                t.intoArray(dst, blk * BLOCK + v * 16);
            }
        }
        // The rest (a ragged K, fewer columns, a strided or transposed B): zeros, then B's values where they go.
        java.util.Arrays.fill(dst, fast * BLOCK, blocks * BLOCK, 0f);
        for (int j = 0; j < n; j++) {
            int d = (j >> 1) * 16 + (j & 1) * 8;
            for (int p = fast * 8, src = bo + p * bps + j * bjs; p < k; p++, src += bps) dst[(p >> 3) * BLOCK + d + (p & 7)] = b[src];
        }
    }

    /** Per-thread scratch: packed B, and the reduced tile and zero-padded row tails of {@link #rows}. */
    private static final class Scratch {
        float[] packed = new float[0];
        final float[] buf = new float[5 * 16 + ROWS * 16];
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
        int tiles = (m + ROWS - 1) / ROWS;
        if (serial || tiles < 2 || !Gemm.splits((long) m * n * k)) {
            rows(0, m, n, k, a, ao, lda, s.packed, c, co, ldc, accumulate, s.buf);
            return;
        }
        Body body = s.body;
        body.set(m, n, k, a, ao, lda, s.packed, c, co, ldc, accumulate);
        try {
            Parallel.forRange(tiles, 1, body);
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
        int full = k / 16 * 16;
        for (int i = i0; i < i1; i += ROWS) {
            int rows = Math.min(ROWS, i1 - i), last = rows - 1;
            int r0 = ao + i * lda, r1 = r0 + Math.min(1, last) * lda, r2 = r0 + Math.min(2, last) * lda, r3 = r0 + Math.min(3, last) * lda;
            FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c04 = c00;
            FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00, c14 = c00;
            FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c24 = c00;
            FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00, c34 = c00;
            // Two passes over one loop: K's whole 16-blocks from A, then (if K is ragged) one block from a zero-padded copy of
            // each row's tail. The same loop either way, with the array fixed within it: a branch per step for the
            // tail cost 0.03 µs of 1.1, masked loads 0.25.
            for (int pass = 0; pass < 2; pass++) {
                float[] src = a;
                int o0 = r0, o1 = r1, o2 = r2, o3 = r3, from = 0, to = full;
                if (pass == 1) {
                    // The ragged end of K: each row's last k − full values, zero-padded (packed B is zero there too).
                    if (full == k) break;
                    int w = k - full, t = 5 * 16;
                    for (int q = 0; q < 16; q++) {
                        boolean in = q < w;
                        buf[t + q] = in ? a[r0 + full + q] : 0f;
                        buf[t + 16 + q] = in ? a[r1 + full + q] : 0f;
                        buf[t + 32 + q] = in ? a[r2 + full + q] : 0f;
                        buf[t + 48 + q] = in ? a[r3 + full + q] : 0f;
                    }
                    src = buf;
                    o0 = t - full; o1 = o0 + 16; o2 = o0 + 32; o3 = o0 + 48;
                    from = full; to = full + 16;
                }
                for (int p = from; p < to; p += 16) {
                    FloatVector x0 = FloatVector.fromArray(S, src, o0 + p), x1 = FloatVector.fromArray(S, src, o1 + p);
                    FloatVector x2 = FloatVector.fromArray(S, src, o2 + p), x3 = FloatVector.fromArray(S, src, o3 + p);
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
            // To C: lane 8·jj + {0, 4, 2, 6} of vector v is C(i + {0, 1, 2, 3}, 2v + jj).
            int cp = co + i * ldc;
            if (rows == ROWS && n == N_MAX && !accumulate) {
                for (int v = 0; v < 5; v++) {
                    int q = v * 16, j = cp + 2 * v;
                    c[j] = buf[q]; c[j + 1] = buf[q + 8];
                    c[j + ldc] = buf[q + 4]; c[j + ldc + 1] = buf[q + 12];
                    c[j + 2 * ldc] = buf[q + 2]; c[j + 2 * ldc + 1] = buf[q + 10];
                    c[j + 3 * ldc] = buf[q + 6]; c[j + 3 * ldc + 1] = buf[q + 14];
                }
            } else {
                for (int r = 0; r < rows; r++) {
                    int lane = r == 0 ? 0 : r == 1 ? 4 : r == 2 ? 2 : 6;
                    for (int j = 0; j < n; j++) {
                        float v = buf[(j >> 1) * 16 + (j & 1) * 8 + lane];
                        c[cp + r * ldc + j] = accumulate ? c[cp + r * ldc + j] + v : v;
                    }
                }
            }
        }
    }
}
