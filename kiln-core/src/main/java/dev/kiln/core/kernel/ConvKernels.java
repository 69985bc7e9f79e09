package dev.kiln.core.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 convolution over channels-last data. Twin: {@link ScalarConv} (same arguments).
 *
 * <p>Convolution is im2col + {@link Gemm} (Chellapilla et al. 2006): each output pixel's receptive field is
 * copied into one row of a (rows × kh·kw·cin) matrix, so the convolution becomes one GEMM with the kernel,
 * which in Keras layout (kh, kw, cin, filters) already is a row-major (kh·kw·cin × filters) matrix. Channels
 * last makes every copied run {@code cin} contiguous floats. The input gradient is dCols = dY·Wᵀ scattered
 * back (col2im); the weight gradient is colsᵀ·dY. Groups (depthwise when groups == channels) run one GEMM per
 * group on column slices of the same matrices, so nothing is repacked.
 *
 * <p>Threads: the rows are cut into chunks (whole images for the input gradient, whose scatter must not race) and
 * the chunks are split across {@link Parallel}; each chunk's im2col, GEMM ({@link Gemm#gemmSerial}) and epilogue
 * run on one thread, in scratch that lives with the thread, not with any tensor. Results do not depend on the
 * thread count. Pooling lives in {@link PoolKernels}.
 */
public final class ConvKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /**
     * Floats of one chunk's im2col slice (192 KiB): the rows are cut into chunks small enough that a chunk's patches
     * stay in L2 between being copied and being read by its GEMM, and the full (rows × patch) matrix, 9 MB for the
     * tutorial CNN's second layer at batch 64, is never built.
     */
    static final int CHUNK_FLOATS = 48 * 1024;
    /** Most rows in a chunk, for short patches (a 3×3 window over one channel): bounds the chunk's output slice. */
    static final int CHUNK_MAX_ROWS = 1024;
    /** Below this many multiply-adds a convolution runs on the caller's thread: a single image should not pay a hand-off. */
    static final long PARALLEL_WORK = 1L << 21;
    /**
     * The weight gradient is summed in this many partials (fixed, not one per thread) that are added in order, so
     * the result does not depend on the thread count.
     */
    static final int SEGMENTS = 8;
    /**
     * Floats of weight-gradient partials kept per calling thread (16 MiB): a kernel so large that {@link #SEGMENTS}
     * partials would exceed it (3×3×512×512) gets fewer, but never fewer than 2, still a function of the geometry only.
     */
    static final int PARTIALS_FLOATS = 1 << 22;

    /**
     * Per-thread scratch, grow-only, owned by no tensor: slot 0 im2col / dCols of a chunk, 1 a chunk's masked dY,
     * 2 the packed Wᵀ and 3 the weight-gradient partials (both filled for the caller's thread, read by workers while
     * the caller waits). A kernel never calls a kernel that uses the same slot, so no slot is used twice at once.
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][0]);

    private ConvKernels() {}

    /** Scratch larger than this (16 MiB; whole-image chunks of big images) is allocated per call, not kept by the thread. */
    static final int RETAIN_FLOATS = 1 << 22;

    static float[] scratch(int slot, int n) {
        float[][] s = SCRATCH.get();
        if (s[slot].length >= n) return s[slot];
        if (n > RETAIN_FLOATS) return new float[n];
        return s[slot] = new float[n];
    }

    /** Rows in one chunk for a patch of {@code k} floats: a multiple of the GEMM's row tile. */
    static int chunkRows(int k) {
        int r = Math.min(CHUNK_MAX_ROWS, CHUNK_FLOATS / Math.max(1, k));
        return Math.max(Gemm.MR, r / Gemm.MR * Gemm.MR);
    }

    /** y = conv(x, w), overwriting y (see {@link #forward(ConvGeometry, float[], int, float[], int, float[], int, boolean, float[], int)}). */
    public static void forward(ConvGeometry g, float[] x, int xo, float[] w, int wo, float[] y, int yo) {
        forward(g, x, xo, w, wo, null, 0, false, y, yo);
    }

    /**
     * y = conv(x, w) (+ bias when non-null) (then max(·, 0) with {@code relu}), overwriting y. Chunk by chunk of
     * output rows: im2col of the chunk, its GEMM with the kernel, then the bias/ReLU epilogue while the chunk's
     * output is still in cache. Chunks are split across the pool; every output is summed in the GEMM's K order, so
     * the result does not depend on the chunking or the thread count.
     */
    public static void forward(ConvGeometry g, float[] x, int xo, float[] w, int wo, float[] bias, int bo, boolean relu, float[] y, int yo) {
        int k = g.patch(), m = g.rows(), f = g.filters();
        long work = (long) m * k * f;
        int rows = chunkRows(k);
        if (work >= PARALLEL_WORK && (m + rows - 1) / rows < Parallel.THREADS) {
            // A big product in few chunks (one image through a wide layer): cut finer so every core has a share.
            int share = (m + Parallel.THREADS - 1) / Parallel.THREADS;
            rows = Math.max(Gemm.MR, (share + Gemm.MR - 1) / Gemm.MR * Gemm.MR);
        }
        int chunks = (m + rows - 1) / rows;
        ConvSplits splits = ConvSplits.get();
        ConvSplits.Forward body = splits.forward;
        body.set(g, direct(g) ? splits.patchOffsets(g) : null, x, xo, w, wo, bias, bo, relu, y, yo, rows);
        try {
            Parallel.forRange(chunks, work < PARALLEL_WORK ? chunks : 1, body);
        } finally {
            body.clear();
        }
    }

    /** dX = ∂/∂x of Σ dY·conv(x, w), overwriting dx. */
    public static void backwardInput(ConvGeometry g, float[] dy, int dyo, float[] w, int wo, float[] dx, int dxo) {
        backwardInput(g, dy, dyo, null, 0, w, wo, dx, dxo);
    }

    /**
     * dX = ∂/∂x of Σ dZ·conv(x, w), overwriting dx, where dZ = dY, or with {@code reluY} non-null dZ = dY where
     * reluY &gt; 0 (the backward of a fused ReLU whose output is reluY), masked chunk by chunk so no full dZ exists.
     * Per chunk of whole images (so the scatter of different chunks never meets): dCols = dZ·Wᵀ, then col2im.
     */
    public static void backwardInput(ConvGeometry g, float[] dy, int dyo, float[] reluY, int ryo, float[] w, int wo, float[] dx, int dxo) {
        backwardInput(g, dy, dyo, reluY, ryo, null, w, wo, dx, dxo);
    }

    /** As above, with dZ's rows produced by {@code src} when non-null (dy and reluY then unused). */
    static void backwardInput(ConvGeometry g, float[] dy, int dyo, float[] reluY, int ryo, GradRows src, float[] w, int wo, float[] dx, int dxo) {
        int k = g.patch(), cout = g.outPerGroup(), f = g.filters(), per = g.outH() * g.outW(), batch = g.batch();
        // Wᵀ per group, packed once (cout × k, row-major) so each chunk's GEMM reads its B contiguously, in place.
        float[] wt = scratch(2, g.groups() * cout * k);
        for (int grp = 0; grp < g.groups(); grp++) {
            for (int p = 0; p < k; p++) {
                int from = wo + p * f + grp * cout, dst = grp * cout * k + p;
                for (int j = 0; j < cout; j++) wt[dst + j * k] = w[from + j];
            }
        }
        long work = (long) g.rows() * k * f;
        int imgs = Math.max(1, chunkRows(k) / per);
        if (work >= PARALLEL_WORK && (batch + imgs - 1) / imgs < Parallel.THREADS) imgs = Math.max(1, (batch + Parallel.THREADS - 1) / Parallel.THREADS);
        int chunks = (batch + imgs - 1) / imgs;
        ConvSplits.BackwardInput body = ConvSplits.get().backwardInput;
        body.set(g, dy, dyo, reluY, ryo, src, wt, dx, dxo, imgs);
        try {
            Parallel.forRange(chunks, work < PARALLEL_WORK ? chunks : 1, body);
        } finally {
            body.clear();
        }
    }

    /** dW = ∂/∂w of Σ dY·conv(x, w), overwriting dw. */
    public static void backwardWeight(ConvGeometry g, float[] x, int xo, float[] dy, int dyo, float[] dw, int dwo) {
        backwardWeight(g, x, xo, dy, dyo, null, 0, dw, dwo, null, 0);
    }

    /**
     * dW = ∂/∂w of Σ dZ·conv(x, w) overwriting dw, and with {@code db} non-null db = Σ over rows of dZ (the bias
     * gradient) overwriting db; dZ as in {@link #backwardInput(ConvGeometry, float[], int, float[], int, float[], int, float[], int)}.
     * Chunk by chunk of rows: im2col of the chunk, dW_part += colsᵀ·dZ; the chunks are grouped into
     * {@link #SEGMENTS} fixed partials, split across the pool, then added in order.
     */
    public static void backwardWeight(ConvGeometry g, float[] x, int xo, float[] dy, int dyo, float[] reluY, int ryo,
                                      float[] dw, int dwo, float[] db, int dbo) {
        backwardWeight(g, x, xo, dy, dyo, reluY, ryo, null, dw, dwo, db, dbo);
    }

    /** As above, with dZ's rows produced by {@code src} when non-null (dy and reluY then unused). */
    static void backwardWeight(ConvGeometry g, float[] x, int xo, float[] dy, int dyo, float[] reluY, int ryo, GradRows src,
                               float[] dw, int dwo, float[] db, int dbo) {
        int k = g.patch(), f = g.filters(), m = g.rows(), ks = g.kernelSize();
        long work = (long) m * k * f;
        int chunkRows = chunkRows(k), part = ks + f, chunks = (m + chunkRows - 1) / chunkRows;
        int segs = Math.min(chunks, Math.max(2, Math.min(SEGMENTS, PARTIALS_FLOATS / part)));
        float[] partials = scratch(3, segs * part);
        ConvSplits splits = ConvSplits.get();
        ConvSplits.BackwardWeight body = splits.backwardWeight;
        body.set(g, direct(g) ? splits.patchOffsets(g) : null, x, xo, dy, dyo, reluY, ryo, src, db != null, partials, part, chunkRows, chunks, segs);
        try {
            Parallel.forRange(segs, work < PARALLEL_WORK ? segs : 1, body);
        } finally {
            body.clear();
        }
        System.arraycopy(partials, 0, dw, dwo, ks);
        for (int s = 1; s < segs; s++) Elementwise.addInPlace(dw, dwo, partials, s * part, ks);
        if (db != null) {
            System.arraycopy(partials, ks, db, dbo, f);
            for (int s = 1; s < segs; s++) Elementwise.addInPlace(db, dbo, partials, s * part + ks, f);
        }
    }

    // ---------------------------------------------------------------- fused ReLU + max pooling

    /** Produces rows [r0, r1) of the gradient at a convolution's output into dst from index 0. */
    @FunctionalInterface
    interface GradRows {
        void fill(int r0, int r1, float[] dst);
    }

    /**
     * Whether {@link #forwardReluMaxPool} takes this convolution: one image's output (and its im2col rows, unless the
     * direct path runs) must fit a thread's scratch; bigger images go through the separate ops.
     */
    public static boolean fusesMaxPool(ConvGeometry g, int ph, int pw) {
        long per = (long) g.outH() * g.outW();
        return g.outH() >= ph && g.outW() >= pw && per * (g.filters() + (direct(g) ? 0 : g.patch())) <= (1 << 20);
    }

    /**
     * p = maxpool(relu(conv(x, w) + bias)) over non-overlapping (ph × pw) windows (stride = window, valid: a ragged
     * last row or column is dropped), overwriting p, and idx = the position i·pw + j (as a float) of each window's
     * first maximum (idx may be null: inference). Image by image, each image's convolution output lives only in this thread's scratch: the
     * full-size activation, its pooling pass and its ReLU mask are never written to memory. p is (B, OH/ph, OW/pw, F).
     */
    public static void forwardReluMaxPool(ConvGeometry g, float[] x, int xo, float[] w, int wo, float[] bias, int bo,
                                          int ph, int pw, float[] p, int po, float[] idx, int io) {
        long work = (long) g.rows() * g.patch() * g.filters();
        ConvSplits splits = ConvSplits.get();
        ConvSplits.ReluMaxPool body = splits.reluMaxPool;
        body.set(g, direct(g) ? splits.patchOffsets(g) : null, x, xo, w, wo, bias, bo, ph, pw, p, po, idx, io);
        try {
            Parallel.forRange(g.batch(), work < PARALLEL_WORK ? g.batch() : 1, body);
        } finally {
            body.clear();
        }
    }

    /** Max pooling of one (oh × ow × f) image with first-maximum positions; windows tile it without overlap. */
    static void maxPoolImage(float[] y, int ow, int f, int ph, int pw, int outH, int outW, float[] p, int po, float[] idx, int io) {
        for (int i = 0; i < outH; i++) {
            for (int j = 0; j < outW; j++) {
                int out = (i * outW + j) * f, first = (i * ph * ow + j * pw) * f;
                int c = 0;
                for (int upper = S.loopBound(f); c < upper; c += S.length()) {
                    FloatVector best = FloatVector.fromArray(S, y, first + c), at = FloatVector.zero(S);
                    for (int a = 0; a < ph; a++) {
                        for (int e = a == 0 ? 1 : 0; e < pw; e++) {
                            FloatVector v = FloatVector.fromArray(S, y, first + (a * ow + e) * f + c);
                            VectorMask<Float> gt = v.compare(VectorOperators.GT, best);   // strictly greater: the first maximum stays
                            best = best.blend(v, gt);
                            at = at.blend(a * pw + e, gt);
                        }
                    }
                    best.intoArray(p, po + out + c);
                    if (idx != null) at.intoArray(idx, io + out + c);
                }
                for (; c < f; c += S.length()) {   // the masked tail
                    VectorMask<Float> m = S.indexInRange(c, f);
                    FloatVector best = FloatVector.fromArray(S, y, first + c, m), at = FloatVector.zero(S);
                    for (int a = 0; a < ph; a++) {
                        for (int e = a == 0 ? 1 : 0; e < pw; e++) {
                            FloatVector v = FloatVector.fromArray(S, y, first + (a * ow + e) * f + c, m);
                            VectorMask<Float> gt = v.compare(VectorOperators.GT, best);   // strictly greater: the first maximum stays
                            best = best.blend(v, gt);
                            at = at.blend(a * pw + e, gt);
                        }
                    }
                    best.intoArray(p, po + out + c, m);
                    if (idx != null) at.intoArray(idx, io + out + c, m);
                }
            }
        }
    }

    /**
     * dX, dW and db of {@link #forwardReluMaxPool} given dP, overwriting dx (when non-null), dw and db (when non-null).
     * dZ at the convolution's output is gathered row by row: dP where the position is its window's argmax and the
     * pooled value is positive (the ReLU passed it), else 0, and fed to the convolution's backward kernels chunk by chunk.
     */
    public static void backwardReluMaxPool(ConvGeometry g, float[] x, int xo, float[] w, int wo, int ph, int pw,
                                           float[] p, int po, float[] idx, int io, float[] dp, int dpo,
                                           float[] dx, int dxo, float[] dw, int dwo, float[] db, int dbo) {
        ConvSplits.MaxPoolRows rows = ConvSplits.get().maxPoolRows.set(g, ph, pw, p, po, idx, io, dp, dpo);
        try {
            if (dx != null) backwardInput(g, null, 0, null, 0, rows, w, wo, dx, dxo);
            backwardWeight(g, x, xo, null, 0, null, 0, rows, dw, dwo, db, dbo);
        } finally {
            rows.clear();
        }
    }

    // ---------------------------------------------------------------- direct path for short patches

    /**
     * A first layer (1 or 3 input channels, a patch of 9 or 27 floats) spends more time building im2col rows than
     * multiplying them: such convolutions read the input in place instead. Needs one group, no padding reached and
     * windows inside the input, so every patch is the same set of offsets from its first pixel.
     */
    static boolean direct(ConvGeometry g) {
        return g.groups() == 1 && g.channels() < 8 && g.patch() <= 64 && PoolKernels.inside(g);
    }

    /** Offset of each patch element (i, j, c) from the patch's first input element. */
    static int[] patchOffsets(ConvGeometry g) {
        int[] off = new int[g.patch()];
        int p = 0;
        for (int i = 0; i < g.kh(); i++) {
            for (int j = 0; j < g.kw(); j++) {
                for (int c = 0; c < g.channels(); c++) off[p++] = (i * g.dh() * g.width() + j * g.dw()) * g.channels() + c;
            }
        }
        return off;
    }

    private static final ThreadLocal<int[]> BASES = ThreadLocal.withInitial(() -> new int[0]);

    /**
     * Index in x of the first patch element of each output row in [r0, r1) (no padding: see {@link #direct}), walked
     * with counters: three integer divisions per row cost more than the row's nine multiply-adds of a first layer.
     */
    private static int[] patchBases(ConvGeometry g, int xo, int r0, int r1) {
        int[] bases = BASES.get();
        if (bases.length < r1 - r0) BASES.set(bases = new int[r1 - r0]);
        int perImage = g.outH() * g.outW(), b = r0 / perImage, oh = (r0 % perImage) / g.outW(), ow = r0 % g.outW();
        int step = g.sw() * g.channels();
        int rowStart = xo + ((b * g.height() + oh * g.sh()) * g.width()) * g.channels();
        for (int r = r0; r < r1; r++) {
            bases[r - r0] = rowStart + ow * step;
            if (++ow == g.outW()) {
                ow = 0;
                if (++oh == g.outH()) {
                    oh = 0;
                    b++;
                }
                rowStart = xo + ((b * g.height() + oh * g.sh()) * g.width()) * g.channels();
            }
        }
        return bases;
    }

    /**
     * Output rows [r0, r1) of y = conv(x, w) (+ bias) (ReLU) read straight from x: four output pixels at a time share
     * each kernel-row vector load, one broadcast of the input per pixel and patch element.
     */
    static void directForward(ConvGeometry g, int[] off, float[] x, int xo, float[] w, int wo, float[] bias, int bo, boolean relu,
                              float[] y, int yo, int r0, int r1) {
        int k = off.length, f = g.filters();
        FloatVector zero = FloatVector.zero(S);
        int[] bases = patchBases(g, xo, r0, r1);
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int x0 = bases[r - r0], x1 = bases[r - r0 + 1], x2 = bases[r - r0 + 2], x3 = bases[r - r0 + 3];
            int fv = 0;
            for (int upper = S.loopBound(f); fv < upper; fv += S.length()) {
                FloatVector a0 = bias == null ? zero : FloatVector.fromArray(S, bias, bo + fv);
                FloatVector a1 = a0, a2 = a0, a3 = a0;
                for (int p = 0, wp = wo + fv; p < k; p++, wp += f) {
                    FloatVector wv = FloatVector.fromArray(S, w, wp);
                    int o = off[p];
                    a0 = FloatVector.broadcast(S, x[x0 + o]).fma(wv, a0);
                    a1 = FloatVector.broadcast(S, x[x1 + o]).fma(wv, a1);
                    a2 = FloatVector.broadcast(S, x[x2 + o]).fma(wv, a2);
                    a3 = FloatVector.broadcast(S, x[x3 + o]).fma(wv, a3);
                }
                if (relu) {
                    a0 = a0.max(zero); a1 = a1.max(zero); a2 = a2.max(zero); a3 = a3.max(zero);
                }
                int out = yo + r * f + fv;
                a0.intoArray(y, out);
                a1.intoArray(y, out + f);
                a2.intoArray(y, out + 2 * f);
                a3.intoArray(y, out + 3 * f);
            }
            for (; fv < f; fv += S.length()) {   // the masked tail
                VectorMask<Float> m = S.indexInRange(fv, f);
                FloatVector a0 = bias == null ? zero : FloatVector.fromArray(S, bias, bo + fv, m);
                FloatVector a1 = a0, a2 = a0, a3 = a0;
                for (int p = 0, wp = wo + fv; p < k; p++, wp += f) {
                    FloatVector wv = FloatVector.fromArray(S, w, wp, m);
                    int o = off[p];
                    a0 = FloatVector.broadcast(S, x[x0 + o]).fma(wv, a0);
                    a1 = FloatVector.broadcast(S, x[x1 + o]).fma(wv, a1);
                    a2 = FloatVector.broadcast(S, x[x2 + o]).fma(wv, a2);
                    a3 = FloatVector.broadcast(S, x[x3 + o]).fma(wv, a3);
                }
                if (relu) {
                    a0 = a0.max(zero); a1 = a1.max(zero); a2 = a2.max(zero); a3 = a3.max(zero);
                }
                int out = yo + r * f + fv;
                a0.intoArray(y, out, m);
                a1.intoArray(y, out + f, m);
                a2.intoArray(y, out + 2 * f, m);
                a3.intoArray(y, out + 3 * f, m);
            }
        }
        for (; r < r1; r++) {
            int x0 = bases[r - r0];
            for (int fv = 0; fv < f; fv += S.length()) {
                VectorMask<Float> m = S.indexInRange(fv, f);
                FloatVector a0 = bias == null ? zero : FloatVector.fromArray(S, bias, bo + fv, m);
                for (int p = 0, wp = wo + fv; p < k; p++, wp += f) {
                    a0 = FloatVector.broadcast(S, x[x0 + off[p]]).fma(FloatVector.fromArray(S, w, wp, m), a0);
                }
                (relu ? a0.max(zero) : a0).intoArray(y, yo + r * f + fv, m);
            }
        }
    }

    /**
     * dw[p, f] += Σ_r x[patch(r) + off[p]]·dz[r, f] over output rows [r0, r1), dz's row r0 at dzo, read straight from
     * x; four rows at a time so each load and store of dw carries four multiply-adds.
     */
    static void directWeight(ConvGeometry g, int[] off, float[] x, int xo, float[] dz, int dzo, int r0, int r1, float[] dw, int dwo) {
        int k = off.length, f = g.filters();
        int[] bases = patchBases(g, xo, r0, r1);
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int x0 = bases[r - r0], x1 = bases[r - r0 + 1], x2 = bases[r - r0 + 2], x3 = bases[r - r0 + 3];
            int z = dzo + (r - r0) * f;
            int fv = 0;
            for (int upper = S.loopBound(f); fv < upper; fv += S.length()) {
                FloatVector d0 = FloatVector.fromArray(S, dz, z + fv), d1 = FloatVector.fromArray(S, dz, z + f + fv);
                FloatVector d2 = FloatVector.fromArray(S, dz, z + 2 * f + fv), d3 = FloatVector.fromArray(S, dz, z + 3 * f + fv);
                for (int p = 0, q = dwo + fv; p < k; p++, q += f) {
                    int o = off[p];
                    FloatVector acc = FloatVector.fromArray(S, dw, q);
                    acc = FloatVector.broadcast(S, x[x0 + o]).fma(d0, acc);
                    acc = FloatVector.broadcast(S, x[x1 + o]).fma(d1, acc);
                    acc = FloatVector.broadcast(S, x[x2 + o]).fma(d2, acc);
                    acc = FloatVector.broadcast(S, x[x3 + o]).fma(d3, acc);
                    acc.intoArray(dw, q);
                }
            }
            for (; fv < f; fv += S.length()) {   // the masked tail
                VectorMask<Float> m = S.indexInRange(fv, f);
                FloatVector d0 = FloatVector.fromArray(S, dz, z + fv, m), d1 = FloatVector.fromArray(S, dz, z + f + fv, m);
                FloatVector d2 = FloatVector.fromArray(S, dz, z + 2 * f + fv, m), d3 = FloatVector.fromArray(S, dz, z + 3 * f + fv, m);
                for (int p = 0, q = dwo + fv; p < k; p++, q += f) {
                    int o = off[p];
                    FloatVector acc = FloatVector.fromArray(S, dw, q, m);
                    acc = FloatVector.broadcast(S, x[x0 + o]).fma(d0, acc);
                    acc = FloatVector.broadcast(S, x[x1 + o]).fma(d1, acc);
                    acc = FloatVector.broadcast(S, x[x2 + o]).fma(d2, acc);
                    acc = FloatVector.broadcast(S, x[x3 + o]).fma(d3, acc);
                    acc.intoArray(dw, q, m);
                }
            }
        }
        for (; r < r1; r++) {
            int x0 = bases[r - r0], z = dzo + (r - r0) * f;
            for (int fv = 0; fv < f; fv += S.length()) {
                VectorMask<Float> m = S.indexInRange(fv, f);
                FloatVector d0 = FloatVector.fromArray(S, dz, z + fv, m);
                for (int p = 0, q = dwo + fv; p < k; p++, q += f) {
                    FloatVector.broadcast(S, x[x0 + off[p]]).fma(d0, FloatVector.fromArray(S, dw, q, m)).intoArray(dw, q, m);
                }
            }
        }
    }

    /** Copies group {@code grp}'s receptive fields of output rows [r0, r1) into cols ((r1 − r0) × patch); outside the input is zero. */
    static void im2col(ConvGeometry g, int grp, float[] x, int xo, int r0, int r1, float[] cols) {
        int cin = g.inPerGroup(), k = g.patch(), c0 = grp * cin;
        int perImage = g.outH() * g.outW();
        int run = g.kw() * cin;   // a window row, when g.windowRowContiguous says it is one run of the input
        for (int r = r0; r < r1; r++) {
            int b = r / perImage, oh = (r % perImage) / g.outW(), ow = r % g.outW();
            int dst = (r - r0) * k;
            int iw0 = ow * g.sw() - g.padLeft();
            boolean across = g.windowRowContiguous(iw0);
            for (int i = 0; i < g.kh(); i++) {
                int ih = oh * g.sh() - g.padTop() + i * g.dh();
                if (across && ih >= 0 && ih < g.height()) {
                    System.arraycopy(x, xo + ((b * g.height() + ih) * g.width() + iw0) * g.channels(), cols, dst, run);
                    dst += run;
                    continue;
                }
                for (int j = 0; j < g.kw(); j++, dst += cin) {
                    int iw = ow * g.sw() - g.padLeft() + j * g.dw();
                    if (ih < 0 || ih >= g.height() || iw < 0 || iw >= g.width()) {
                        Arrays.fill(cols, dst, dst + cin, 0f);
                    } else if (cin < 8) {
                        // A first layer has 1 or 3 channels: a call to arraycopy per pixel cost more than the copy itself.
                        int src = xo + ((b * g.height() + ih) * g.width() + iw) * g.channels() + c0;
                        for (int c = 0; c < cin; c++) cols[dst + c] = x[src + c];
                    } else {
                        System.arraycopy(x, xo + ((b * g.height() + ih) * g.width() + iw) * g.channels() + c0, cols, dst, cin);
                    }
                }
            }
        }
    }

    /** dx += the scatter of dCols (rows [r0, r1) of the output, from dCols' row 0) back onto the input positions they were copied from. */
    static void col2im(ConvGeometry g, int grp, float[] dCols, int r0, int r1, float[] dx, int dxo) {
        int cin = g.inPerGroup(), k = g.patch(), c0 = grp * cin;
        int perImage = g.outH() * g.outW();
        int run = g.kw() * cin;   // as in im2col: whole window rows at once
        for (int r = r0; r < r1; r++) {
            int b = r / perImage, oh = (r % perImage) / g.outW(), ow = r % g.outW();
            int src = (r - r0) * k;
            int iw0 = ow * g.sw() - g.padLeft();
            boolean across = g.windowRowContiguous(iw0);
            for (int i = 0; i < g.kh(); i++) {
                int ih = oh * g.sh() - g.padTop() + i * g.dh();
                if (across && ih >= 0 && ih < g.height()) {
                    Elementwise.addInPlaceRun(dx, dxo + ((b * g.height() + ih) * g.width() + iw0) * g.channels(), dCols, src, run);
                    src += run;
                    continue;
                }
                for (int j = 0; j < g.kw(); j++, src += cin) {
                    int iw = ow * g.sw() - g.padLeft() + j * g.dw();
                    if (ih < 0 || ih >= g.height() || iw < 0 || iw >= g.width()) continue;
                    int d = dxo + ((b * g.height() + ih) * g.width() + iw) * g.channels() + c0;
                    if (cin < 8) {
                        for (int c = 0; c < cin; c++) dx[d + c] += dCols[src + c];
                    } else {
                        Elementwise.addInPlaceRun(dx, d, dCols, src, cin);
                    }
                }
            }
        }
    }

    /** y[r, f] += bias[f] for every row r of a (rows × filters) output; with {@code relu}, then y = max(y, 0). */
    public static void addBias(float[] y, int yo, int rows, int filters, float[] bias, int bo, boolean relu) {
        ConvSplits.Bias body = ConvSplits.get().bias;   // a reused body, not a capturing lambda per call
        body.set(y, yo, filters, bias, bo, relu);
        try {
            Parallel.forRange(rows, 256, body);
        } finally {
            body.clear();
        }
    }

    /** The bias (and ReLU) epilogue over {@code rows} rows from yo, on the caller's thread. */
    static void biasRows(float[] y, int yo, int rows, int filters, float[] bias, int bo, boolean relu) {
        FloatVector zero = FloatVector.zero(S);
        int upper = S.loopBound(filters);
        for (int r = 0; r < rows; r++) {
            int p = yo + r * filters;
            int f = 0;
            for (; f < upper; f += S.length()) {
                FloatVector v = FloatVector.fromArray(S, y, p + f).add(FloatVector.fromArray(S, bias, bo + f));
                (relu ? v.max(zero) : v).intoArray(y, p + f);
            }
            for (; f < filters; f++) {
                float v = y[p + f] + bias[bo + f];
                y[p + f] = relu ? Math.max(v, 0f) : v;
            }
        }
    }

    /** y = max(y, 0) over n contiguous elements, on the caller's thread. */
    static void reluRows(float[] y, int yo, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) FloatVector.fromArray(S, y, yo + i).max(zero).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = Math.max(y[yo + i], 0f);
    }

    /** dZ = dY where y &gt; 0, else 0: the fused ReLU's backward in one pass (twin: {@link ScalarConv#reluBackward}). */
    public static void reluBackward(float[] dy, int dyo, float[] y, int yo, float[] dz, int dzo, int n) {
        Parallel.forRange(n, 1 << 14, (i0, i1) -> maskRows(dy, dyo + i0, y, yo + i0, dz, dzo + i0, i1 - i0));
    }

    /** {@link #reluBackward} over n elements on the caller's thread. */
    static void maskRows(float[] dy, int dyo, float[] y, int yo, float[] dz, int dzo, int n) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            VectorMask<Float> on = FloatVector.fromArray(S, y, yo + i).compare(VectorOperators.GT, zero);
            zero.blend(FloatVector.fromArray(S, dy, dyo + i), on).intoArray(dz, dzo + i);
        }
        for (; i < n; i++) dz[dzo + i] = y[yo + i] > 0 ? dy[dyo + i] : 0f;
    }

    /** out[j] += Σ_r a[r, j] over a (rows × f) block: one vector of column sums held across the rows. */
    static void addColumnSums(float[] a, int ao, int rows, int f, float[] out, int oo) {
        int j = 0;
        for (int upper = S.loopBound(f); j < upper; j += S.length()) {
            FloatVector acc = FloatVector.zero(S);
            for (int r = 0, p = ao + j; r < rows; r++, p += f) acc = acc.add(FloatVector.fromArray(S, a, p));
            acc.add(FloatVector.fromArray(S, out, oo + j)).intoArray(out, oo + j);
        }
        for (; j < f; j++) {
            float s = 0;
            for (int r = 0, p = ao + j; r < rows; r++, p += f) s += a[p];
            out[oo + j] += s;
        }
    }
}
