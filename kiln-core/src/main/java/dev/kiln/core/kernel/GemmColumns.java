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

    /** The narrow in-place tile ({@link #narrow}): 256-bit vectors, {@link #MH} rows (four vectors) × NH columns. */
    private static final VectorSpecies<Float> H = FloatVector.SPECIES_256;
    private static final int HL = 8;
    static final int MH = 4 * HL;
    static final int NH = 5;

    private GemmColumns() {}

    /**
     * Per-thread scratch, grown as needed and kept, so a training step's products allocate nothing: the packed A
     * (owned by the calling thread for the whole call, read by the workers) and each thread's C tile.
     */
    private static final class Scratch {
        float[] panels = new float[0];
        final float[] tile = new float[NJ * MW];
        /** {@link #narrow}'s C block, column-major: up to 2·HL columns, rounded up to whole tiles of NH. */
        final float[] narrow = new float[(2 * HL + NH - 1) / NH * NH * MH];
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
                    for (int t = 0; t < cols; t++) for (int r = 0; r < rows; r++) buf[t * MW + r] = c[cp + r * ldc + t];
                }
                tile(k, cols, panels, q * k * MW, b, bo + j * bjs, bps, bjs, buf, accumulate);
                for (int t = 0; t < cols; t++) for (int r = 0; r < rows; r++) c[cp + r * ldc + t] = buf[t * MW + r];
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

    /**
     * C[0:m, 0:n] (+)= op(A)·op(B) for 8 ≤ n ≤ 16 and m a multiple of {@link #MH}: four vectors down a column of
     * op(A) and one broadcast of B(p, j) per column. With A stored K×M (op(A) = Aᵀ) op(A)'s column p is A's row p and
     * the tile reads A in place; otherwise each block of MH rows is first transposed into a K-major panel
     * ({@link #transpose8}: ~a sixth of the tile's time at K = 128). C goes through a column-major block, transposed
     * back eight by eight. For a narrow C (the 10-class head's
     * weight gradient Hᵀ·dY) this needs one broadcast per four FMAs where the row tile needs one per two, and wastes no
     * lanes on columns past N. B(p, j) at {@code bo + p·bps + j·bjs}.
     */
    static void narrow(boolean ta, int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int bps, int bjs,
                       float[] c, int co, int ldc, boolean accumulate) {
        Scratch s = SCRATCH.get();
        float[] buf = s.narrow;
        if (!ta && s.panels.length < k * MH) s.panels = new float[k * MH];
        int o = n - HL, k8 = k & -HL;
        for (int i = 0; i < m; i += MH) {
            int cp = co + i * ldc;
            // The tile's op(A): A itself when stored K×M, else this block of rows packed K-major, 8×8 at a time.
            float[] pa = a;
            int po = ao + i, ld = lda;
            if (!ta) {
                pa = s.panels;
                po = 0;
                ld = MH;
                int done = 0;
                if (WIDE) {
                    done = k & -WL;
                    for (int r = 0; r < MH; r += WL) transpose16(a, ao + (i + r) * lda, lda, pa, r, done / WL);
                }
                if (done < k8) {
                    for (int r = 0; r < MH; r += HL) {
                        transpose8(a, ao + (i + r) * lda + done, lda, HL, pa, done * MH + r, MH, HL * MH, (k8 - done) / HL);
                    }
                    done = k8;
                }
                for (int p = done; p < k; p++) for (int r = 0; r < MH; r++) pa[p * MH + r] = a[ao + (i + r) * lda + p];
            }
            if (accumulate) {
                for (int r = 0; r < MH; r += HL) transpose8(c, cp + r * ldc, ldc, o, buf, r, MH, o * MH, 2);
            }
            for (int j = 0; j < n; j += NH) {
                narrowTile(k, Math.min(NH, n - j), pa, po, ld, b, bo + j * bjs, bps, bjs, buf, j * MH, accumulate);
            }
            // Back to C's rows, eight by eight: columns 0…7 and o…o+7 (overlapping when n < 16, with equal values), so
            // every store is a whole vector inside the row.
            for (int r = 0; r < MH; r += HL) transpose8(buf, r, MH, o * MH, c, cp + r * ldc, ldc, o, 2);
        }
    }

    /** Interleave the low (ZIP_LO) or high (ZIP_HI) halves of two vectors, as indexes for {@code selectFrom}. */
    private static final FloatVector ZIP_LO = FloatVector.fromArray(H, new float[] {0, 8, 1, 9, 2, 10, 3, 11}, 0);
    private static final FloatVector ZIP_HI = FloatVector.fromArray(H, new float[] {4, 12, 5, 13, 6, 14, 7, 15}, 0);

    /** 512-bit vectors where the hardware has them (AVX-512): {@link #transpose16} packs op(A) for the narrow tile. */
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_512;
    private static final int WL = 16;
    private static final boolean WIDE = FloatVector.SPECIES_PREFERRED.length() >= WL;
    private static final FloatVector WZIP_LO, WZIP_HI;

    static {
        float[] lo = new float[WL], hi = new float[WL];
        for (int i = 0; i < WL / 2; i++) {
            lo[2 * i] = i; lo[2 * i + 1] = WL + i;
            hi[2 * i] = WL / 2 + i; hi[2 * i + 1] = WL + WL / 2 + i;
        }
        WZIP_LO = FloatVector.fromArray(W, lo, 0);
        WZIP_HI = FloatVector.fromArray(W, hi, 0);
    }

    /**
     * {@code count} 16×16 blocks of A's rows (the b-th at columns 16·b…, rows at {@code src[so + i·ss]}) into the
     * narrow panel ({@code dst[d + (16·b + t)·MH + i]}, column t of the block): four rounds of zipping vector i with
     * vector i+8. Per element a third cheaper than {@link #transpose8} (32×128: ~440 against ~670 ns).
     */
    private static void transpose16(float[] src, int so, int ss, float[] dst, int d, int count) {
        for (int blk = 0; blk < count; blk++, so += WL, d += WL * MH) {
            FloatVector x0 = FloatVector.fromArray(W, src, so), x1 = FloatVector.fromArray(W, src, so + ss);
            FloatVector x2 = FloatVector.fromArray(W, src, so + 2 * ss), x3 = FloatVector.fromArray(W, src, so + 3 * ss);
            FloatVector x4 = FloatVector.fromArray(W, src, so + 4 * ss), x5 = FloatVector.fromArray(W, src, so + 5 * ss);
            FloatVector x6 = FloatVector.fromArray(W, src, so + 6 * ss), x7 = FloatVector.fromArray(W, src, so + 7 * ss);
            FloatVector x8 = FloatVector.fromArray(W, src, so + 8 * ss), x9 = FloatVector.fromArray(W, src, so + 9 * ss);
            FloatVector x10 = FloatVector.fromArray(W, src, so + 10 * ss), x11 = FloatVector.fromArray(W, src, so + 11 * ss);
            FloatVector x12 = FloatVector.fromArray(W, src, so + 12 * ss), x13 = FloatVector.fromArray(W, src, so + 13 * ss);
            FloatVector x14 = FloatVector.fromArray(W, src, so + 14 * ss), x15 = FloatVector.fromArray(W, src, so + 15 * ss);
            for (int round = 0; round < 4; round++) {
                FloatVector y0 = WZIP_LO.selectFrom(x0, x8), y1 = WZIP_HI.selectFrom(x0, x8);
                FloatVector y2 = WZIP_LO.selectFrom(x1, x9), y3 = WZIP_HI.selectFrom(x1, x9);
                FloatVector y4 = WZIP_LO.selectFrom(x2, x10), y5 = WZIP_HI.selectFrom(x2, x10);
                FloatVector y6 = WZIP_LO.selectFrom(x3, x11), y7 = WZIP_HI.selectFrom(x3, x11);
                FloatVector y8 = WZIP_LO.selectFrom(x4, x12), y9 = WZIP_HI.selectFrom(x4, x12);
                FloatVector y10 = WZIP_LO.selectFrom(x5, x13), y11 = WZIP_HI.selectFrom(x5, x13);
                FloatVector y12 = WZIP_LO.selectFrom(x6, x14), y13 = WZIP_HI.selectFrom(x6, x14);
                FloatVector y14 = WZIP_LO.selectFrom(x7, x15), y15 = WZIP_HI.selectFrom(x7, x15);
                x0 = y0; x1 = y1; x2 = y2; x3 = y3; x4 = y4; x5 = y5; x6 = y6; x7 = y7;
                x8 = y8; x9 = y9; x10 = y10; x11 = y11; x12 = y12; x13 = y13; x14 = y14; x15 = y15;
            }
            x0.intoArray(dst, d); x1.intoArray(dst, d + MH); x2.intoArray(dst, d + 2 * MH); x3.intoArray(dst, d + 3 * MH);
            x4.intoArray(dst, d + 4 * MH); x5.intoArray(dst, d + 5 * MH); x6.intoArray(dst, d + 6 * MH);
            x7.intoArray(dst, d + 7 * MH); x8.intoArray(dst, d + 8 * MH); x9.intoArray(dst, d + 9 * MH);
            x10.intoArray(dst, d + 10 * MH); x11.intoArray(dst, d + 11 * MH); x12.intoArray(dst, d + 12 * MH);
            x13.intoArray(dst, d + 13 * MH); x14.intoArray(dst, d + 14 * MH); x15.intoArray(dst, d + 15 * MH);
        }
    }

    /**
     * {@code count} 8×8 blocks, the b-th with rows at {@code src[so + b·sstep + i·ss]}, transposed into
     * {@code dst[d + b·dstep + i·ds]}: three rounds of zipping vector i with vector i+4 (24 two-vector permutes for 64
     * moves, where scalar copies took as long as the tile's FMAs at K = 32). A loop here rather than a call per block:
     * the method is too big for C2 to inline.
     */
    private static void transpose8(float[] src, int so, int ss, int sstep, float[] dst, int d, int ds, int dstep,
                                   int count) {
        for (int blk = 0; blk < count; blk++, so += sstep, d += dstep) {
            FloatVector x0 = FloatVector.fromArray(H, src, so), x1 = FloatVector.fromArray(H, src, so + ss);
            FloatVector x2 = FloatVector.fromArray(H, src, so + 2 * ss), x3 = FloatVector.fromArray(H, src, so + 3 * ss);
            FloatVector x4 = FloatVector.fromArray(H, src, so + 4 * ss), x5 = FloatVector.fromArray(H, src, so + 5 * ss);
            FloatVector x6 = FloatVector.fromArray(H, src, so + 6 * ss), x7 = FloatVector.fromArray(H, src, so + 7 * ss);
            for (int round = 0; round < 3; round++) {
                FloatVector y0 = ZIP_LO.selectFrom(x0, x4), y1 = ZIP_HI.selectFrom(x0, x4);
                FloatVector y2 = ZIP_LO.selectFrom(x1, x5), y3 = ZIP_HI.selectFrom(x1, x5);
                FloatVector y4 = ZIP_LO.selectFrom(x2, x6), y5 = ZIP_HI.selectFrom(x2, x6);
                FloatVector y6 = ZIP_LO.selectFrom(x3, x7), y7 = ZIP_HI.selectFrom(x3, x7);
                x0 = y0; x1 = y1; x2 = y2; x3 = y3; x4 = y4; x5 = y5; x6 = y6; x7 = y7;
            }
            x0.intoArray(dst, d); x1.intoArray(dst, d + ds); x2.intoArray(dst, d + 2 * ds); x3.intoArray(dst, d + 3 * ds);
            x4.intoArray(dst, d + 4 * ds); x5.intoArray(dst, d + 5 * ds); x6.intoArray(dst, d + 6 * ds); x7.intoArray(dst, d + 7 * ds);
        }
    }

    /** buf[t·MH + r] (+)= Σ_p A(p, r)·B(p, t), t &lt; NH; columns past {@code cols} re-read the last one. */
    private static void narrowTile(int k, int cols, float[] a, int ap, int lda, float[] b, int bp, int bps, int bjs,
                                   float[] buf, int q, boolean load) {
        int b0 = bp, b1 = bp + Math.min(1, cols - 1) * bjs, b2 = bp + Math.min(2, cols - 1) * bjs;
        int b3 = bp + Math.min(3, cols - 1) * bjs, b4 = bp + Math.min(4, cols - 1) * bjs;
        FloatVector s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33, s40, s41, s42, s43;
        s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = s40 = s41 = s42 = s43
                = FloatVector.zero(H);
        if (load) {
            s00 = FloatVector.fromArray(H, buf, q + 0); s01 = FloatVector.fromArray(H, buf, q + 8);
            s02 = FloatVector.fromArray(H, buf, q + 16); s03 = FloatVector.fromArray(H, buf, q + 24);
            s10 = FloatVector.fromArray(H, buf, q + 32); s11 = FloatVector.fromArray(H, buf, q + 40);
            s12 = FloatVector.fromArray(H, buf, q + 48); s13 = FloatVector.fromArray(H, buf, q + 56);
            s20 = FloatVector.fromArray(H, buf, q + 64); s21 = FloatVector.fromArray(H, buf, q + 72);
            s22 = FloatVector.fromArray(H, buf, q + 80); s23 = FloatVector.fromArray(H, buf, q + 88);
            s30 = FloatVector.fromArray(H, buf, q + 96); s31 = FloatVector.fromArray(H, buf, q + 104);
            s32 = FloatVector.fromArray(H, buf, q + 112); s33 = FloatVector.fromArray(H, buf, q + 120);
            s40 = FloatVector.fromArray(H, buf, q + 128); s41 = FloatVector.fromArray(H, buf, q + 136);
            s42 = FloatVector.fromArray(H, buf, q + 144); s43 = FloatVector.fromArray(H, buf, q + 152);
        }
        for (int p = 0, pa = ap, pb = 0; p < k; p++, pa += lda, pb += bps) {
            FloatVector x0 = FloatVector.fromArray(H, a, pa), x1 = FloatVector.fromArray(H, a, pa + 8);
            FloatVector x2 = FloatVector.fromArray(H, a, pa + 16), x3 = FloatVector.fromArray(H, a, pa + 24);
            FloatVector y = FloatVector.broadcast(H, b[b0 + pb]);
            s00 = x0.fma(y, s00); s01 = x1.fma(y, s01); s02 = x2.fma(y, s02); s03 = x3.fma(y, s03);
            y = FloatVector.broadcast(H, b[b1 + pb]);
            s10 = x0.fma(y, s10); s11 = x1.fma(y, s11); s12 = x2.fma(y, s12); s13 = x3.fma(y, s13);
            y = FloatVector.broadcast(H, b[b2 + pb]);
            s20 = x0.fma(y, s20); s21 = x1.fma(y, s21); s22 = x2.fma(y, s22); s23 = x3.fma(y, s23);
            y = FloatVector.broadcast(H, b[b3 + pb]);
            s30 = x0.fma(y, s30); s31 = x1.fma(y, s31); s32 = x2.fma(y, s32); s33 = x3.fma(y, s33);
            y = FloatVector.broadcast(H, b[b4 + pb]);
            s40 = x0.fma(y, s40); s41 = x1.fma(y, s41); s42 = x2.fma(y, s42); s43 = x3.fma(y, s43);
        }
        s00.intoArray(buf, q + 0); s01.intoArray(buf, q + 8); s02.intoArray(buf, q + 16); s03.intoArray(buf, q + 24);
        s10.intoArray(buf, q + 32); s11.intoArray(buf, q + 40); s12.intoArray(buf, q + 48); s13.intoArray(buf, q + 56);
        s20.intoArray(buf, q + 64); s21.intoArray(buf, q + 72); s22.intoArray(buf, q + 80); s23.intoArray(buf, q + 88);
        s30.intoArray(buf, q + 96); s31.intoArray(buf, q + 104); s32.intoArray(buf, q + 112); s33.intoArray(buf, q + 120);
        s40.intoArray(buf, q + 128); s41.intoArray(buf, q + 136); s42.intoArray(buf, q + 144); s43.intoArray(buf, q + 152);
    }
}
