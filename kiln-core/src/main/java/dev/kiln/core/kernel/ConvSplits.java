package dev.kiln.core.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The bodies that {@link ConvKernels} splits across {@link Parallel}, as reusable objects held per calling thread
 * rather than lambdas: a lambda capturing the kernel's arguments is a fresh object on every call, several per training
 * step. The caller fills its thread's body, runs it and clears it (so an idle thread keeps no model's arrays alive);
 * workers only read the fields while the caller waits. A kernel never runs a kernel that uses the same body, so no
 * body is used twice at once. Each {@code run} is the loop the lambda held, with the fields read into locals first.
 */
final class ConvSplits {
    private static final VectorSpecies<Float> S = ConvKernels.S;   // the one species: a second breaks C2's intrinsics

    final Forward forward = new Forward();
    final BackwardInput backwardInput = new BackwardInput();
    final BackwardWeight backwardWeight = new BackwardWeight();
    final ReluMaxPool reluMaxPool = new ReluMaxPool();
    final MaxPoolRows maxPoolRows = new MaxPoolRows();
    final Bias bias = new Bias();
    // patchOffsets of the last few geometries: a model's direct layers and its last short batch.
    private final ConvGeometry[] offsetKeys = new ConvGeometry[4];
    private final int[][] offsets = new int[4][];
    private int nextOffsets;

    private static final ThreadLocal<ConvSplits> CURRENT = ThreadLocal.withInitial(ConvSplits::new);

    private ConvSplits() {}

    /** The calling thread's bodies. */
    static ConvSplits get() {
        return CURRENT.get();
    }

    /** {@link ConvKernels#patchOffsets} of g, kept (never changed once made: workers read it). */
    int[] patchOffsets(ConvGeometry g) {
        for (int i = 0; i < offsetKeys.length; i++) if (g.equals(offsetKeys[i])) return offsets[i];
        int i = nextOffsets;
        nextOffsets = (i + 1) % offsetKeys.length;
        offsets[i] = ConvKernels.patchOffsets(g);
        offsetKeys[i] = g;
        return offsets[i];
    }

    /** {@link ConvKernels#forward}'s chunks of output rows. */
    static final class Forward implements Parallel.RangeBody {
        ConvGeometry g;
        int[] off;
        float[] x, w, bias, y;
        int xo, wo, bo, yo, chunkRows;
        boolean relu;

        void set(ConvGeometry g, int[] off, float[] x, int xo, float[] w, int wo, float[] bias, int bo, boolean relu, float[] y, int yo, int chunkRows) {
            this.g = g; this.off = off;
            this.x = x; this.xo = xo; this.w = w; this.wo = wo; this.bias = bias; this.bo = bo;
            this.relu = relu; this.y = y; this.yo = yo; this.chunkRows = chunkRows;
        }

        void clear() {
            g = null; off = null; x = w = bias = y = null;
        }

        @Override
        public void run(int c0, int c1) {
            ConvGeometry g = this.g;
            int[] off = this.off;
            float[] x = this.x, w = this.w, bias = this.bias, y = this.y;
            int xo = this.xo, wo = this.wo, bo = this.bo, yo = this.yo, chunkRows = this.chunkRows;
            boolean relu = this.relu;
            int k = g.patch(), m = g.rows(), cout = g.outPerGroup(), f = g.filters();
            float[] cols = off != null ? null : ConvKernels.scratch(0, chunkRows * k);
            for (int c = c0; c < c1; c++) {
                int r0 = c * chunkRows, r1 = Math.min(m, r0 + chunkRows);
                if (off != null) {
                    ConvKernels.directForward(g, off, x, xo, w, wo, bias, bo, relu, y, yo, r0, r1);
                    continue;
                }
                for (int grp = 0; grp < g.groups(); grp++) {
                    ConvKernels.im2col(g, grp, x, xo, r0, r1, cols);
                    Gemm.gemmSerial(false, r1 - r0, cout, k, cols, 0, k, w, wo + grp * cout, f, y, yo + r0 * f + grp * cout, f, false);
                }
                if (bias != null) ConvKernels.biasRows(y, yo + r0 * f, r1 - r0, f, bias, bo, relu);
                else if (relu) ConvKernels.reluRows(y, yo + r0 * f, (r1 - r0) * f);
            }
        }
    }

    /** {@link ConvKernels#backwardInput}'s chunks of whole images. */
    static final class BackwardInput implements Parallel.RangeBody {
        ConvGeometry g;
        float[] dy, reluY, wt, dx;
        ConvKernels.GradRows src;
        int dyo, ryo, dxo, chunkImgs;

        void set(ConvGeometry g, float[] dy, int dyo, float[] reluY, int ryo, ConvKernels.GradRows src, float[] wt, float[] dx, int dxo, int chunkImgs) {
            this.g = g; this.dy = dy; this.dyo = dyo; this.reluY = reluY; this.ryo = ryo; this.src = src;
            this.wt = wt; this.dx = dx; this.dxo = dxo; this.chunkImgs = chunkImgs;
        }

        void clear() {
            g = null; dy = reluY = wt = dx = null; src = null;
        }

        @Override
        public void run(int c0, int c1) {
            ConvGeometry g = this.g;
            float[] dy = this.dy, reluY = this.reluY, wt = this.wt, dx = this.dx;
            ConvKernels.GradRows src = this.src;
            int dyo = this.dyo, ryo = this.ryo, dxo = this.dxo, chunkImgs = this.chunkImgs;
            int k = g.patch(), cout = g.outPerGroup(), f = g.filters(), per = g.outH() * g.outW(), batch = g.batch();
            int imageSize = g.height() * g.width() * g.channels();
            float[] dCols = ConvKernels.scratch(0, chunkImgs * per * k);
            float[] dz = reluY == null && src == null ? null : ConvKernels.scratch(1, chunkImgs * per * f);
            for (int c = c0; c < c1; c++) {
                int b0 = c * chunkImgs, b1 = Math.min(batch, b0 + chunkImgs), r0 = b0 * per, r1 = b1 * per;
                Arrays.fill(dx, dxo + b0 * imageSize, dxo + b1 * imageSize, 0f);
                float[] a = gradientRows(dy, dyo, reluY, ryo, src, f, r0, r1, dz);
                int ao = a == dz ? 0 : dyo + r0 * f;
                for (int grp = 0; grp < g.groups(); grp++) {
                    // dCols (rows × k) = dZ_g (rows × cout) · W_gᵀ (cout × k)
                    Gemm.gemmSerial(false, r1 - r0, k, cout, a, ao + grp * cout, f, wt, grp * cout * k, k, dCols, 0, k, false);
                    ConvKernels.col2im(g, grp, dCols, r0, r1, dx, dxo);
                }
            }
        }
    }

    /** {@link ConvKernels#backwardWeight}'s fixed segments of chunks, each into its own partial. */
    static final class BackwardWeight implements Parallel.RangeBody {
        ConvGeometry g;
        int[] off;
        float[] x, dy, reluY, partials;
        ConvKernels.GradRows src;
        boolean wantBias;
        int xo, dyo, ryo, chunkRows, chunks, segs, part;

        void set(ConvGeometry g, int[] off, float[] x, int xo, float[] dy, int dyo, float[] reluY, int ryo, ConvKernels.GradRows src,
                 boolean wantBias, float[] partials, int part, int chunkRows, int chunks, int segs) {
            this.g = g; this.off = off; this.x = x; this.xo = xo; this.dy = dy; this.dyo = dyo; this.reluY = reluY; this.ryo = ryo;
            this.src = src; this.wantBias = wantBias; this.partials = partials; this.part = part;
            this.chunkRows = chunkRows; this.chunks = chunks; this.segs = segs;
        }

        void clear() {
            g = null; off = null; x = dy = reluY = partials = null; src = null;
        }

        @Override
        public void run(int s0, int s1) {
            ConvGeometry g = this.g;
            int[] off = this.off;
            float[] x = this.x, dy = this.dy, reluY = this.reluY, partials = this.partials;
            ConvKernels.GradRows src = this.src;
            boolean wantBias = this.wantBias;
            int xo = this.xo, dyo = this.dyo, ryo = this.ryo, chunkRows = this.chunkRows, chunks = this.chunks, segs = this.segs, part = this.part;
            int k = g.patch(), cout = g.outPerGroup(), f = g.filters(), m = g.rows(), ks = g.kernelSize();
            float[] cols = off != null ? null : ConvKernels.scratch(0, chunkRows * k);
            float[] dz = reluY == null && src == null ? null : ConvKernels.scratch(1, chunkRows * f);
            for (int s = s0; s < s1; s++) {
                int po = s * part, cA = (int) ((long) s * chunks / segs), cB = (int) ((long) (s + 1) * chunks / segs);
                Arrays.fill(partials, off != null ? po : po + ks, po + part, 0f);
                for (int c = cA; c < cB; c++) {
                    int r0 = c * chunkRows, r1 = Math.min(m, r0 + chunkRows);
                    float[] a = gradientRows(dy, dyo, reluY, ryo, src, f, r0, r1, dz);
                    int ao = a == dz ? 0 : dyo + r0 * f;
                    if (wantBias) ConvKernels.addColumnSums(a, ao, r1 - r0, f, partials, po + ks);
                    if (off != null) {
                        ConvKernels.directWeight(g, off, x, xo, a, ao, r0, r1, partials, po);
                        continue;
                    }
                    for (int grp = 0; grp < g.groups(); grp++) {
                        ConvKernels.im2col(g, grp, x, xo, r0, r1, cols);
                        // dW_g (k × cout) (+)= colsᵀ (k × rows) · dZ_g (rows × cout)
                        Gemm.gemmSerial(true, k, cout, r1 - r0, cols, 0, k, a, ao + grp * cout, f, partials, po + grp * cout, f, c > cA);
                    }
                }
            }
        }
    }

    /** {@link ConvKernels#forwardReluMaxPool}'s images. */
    static final class ReluMaxPool implements Parallel.RangeBody {
        ConvGeometry g;
        int[] off;
        float[] x, w, bias, p, idx;
        int xo, wo, bo, ph, pw, po, io;

        void set(ConvGeometry g, int[] off, float[] x, int xo, float[] w, int wo, float[] bias, int bo, int ph, int pw,
                 float[] p, int po, float[] idx, int io) {
            this.g = g; this.off = off; this.x = x; this.xo = xo; this.w = w; this.wo = wo; this.bias = bias; this.bo = bo;
            this.ph = ph; this.pw = pw; this.p = p; this.po = po; this.idx = idx; this.io = io;
        }

        void clear() {
            g = null; off = null; x = w = bias = p = idx = null;
        }

        @Override
        public void run(int b0, int b1) {
            ConvGeometry g = this.g;
            int[] off = this.off;
            float[] x = this.x, w = this.w, bias = this.bias, p = this.p, idx = this.idx;
            int xo = this.xo, wo = this.wo, bo = this.bo, ph = this.ph, pw = this.pw, po = this.po, io = this.io;
            int per = g.outH() * g.outW(), f = g.filters(), k = g.patch(), cout = g.outPerGroup();
            int pooled = (g.outH() / ph) * (g.outW() / pw) * f;
            float[] cols = off != null ? null : ConvKernels.scratch(0, per * k);
            float[] y = ConvKernels.scratch(1, per * f);
            for (int b = b0; b < b1; b++) {
                int r0 = b * per, r1 = r0 + per;
                if (off != null) {
                    ConvKernels.directForward(g, off, x, xo, w, wo, bias, bo, true, y, -r0 * f, r0, r1);
                } else {
                    for (int grp = 0; grp < g.groups(); grp++) {
                        ConvKernels.im2col(g, grp, x, xo, r0, r1, cols);
                        Gemm.gemmSerial(false, per, cout, k, cols, 0, k, w, wo + grp * cout, f, y, grp * cout, f, false);
                    }
                    if (bias != null) ConvKernels.biasRows(y, 0, per, f, bias, bo, true);
                    else ConvKernels.reluRows(y, 0, per * f);
                }
                ConvKernels.maxPoolImage(y, g.outW(), f, ph, pw, g.outH() / ph, g.outW() / pw, p, po + b * pooled, idx, io + b * pooled);
            }
        }
    }

    /** {@link ConvKernels#addBias}'s rows. */
    static final class Bias implements Parallel.RangeBody {
        float[] y, bias;
        int yo, filters, bo;
        boolean relu;

        void set(float[] y, int yo, int filters, float[] bias, int bo, boolean relu) {
            this.y = y; this.yo = yo; this.filters = filters; this.bias = bias; this.bo = bo; this.relu = relu;
        }

        void clear() {
            y = bias = null;
        }

        @Override
        public void run(int r0, int r1) {
            float[] y = this.y, bias = this.bias;
            int yo = this.yo, filters = this.filters, bo = this.bo;
            ConvKernels.biasRows(y, yo + r0 * filters, r1 - r0, filters, bias, bo, relu);
        }
    }

    /**
     * The gather of dZ rows for {@link ConvKernels#backwardReluMaxPool}: dP where the position is its window's argmax and
     * the pooled value is positive (the ReLU passed it), else 0; positions no window covers get 0. Read by several
     * workers at once: fill keeps its state in locals.
     */
    static final class MaxPoolRows implements ConvKernels.GradRows {
        ConvGeometry g;
        float[] p, idx, dp;
        int ph, pw, po, io, dpo;

        MaxPoolRows set(ConvGeometry g, int ph, int pw, float[] p, int po, float[] idx, int io, float[] dp, int dpo) {
            this.g = g; this.ph = ph; this.pw = pw; this.p = p; this.po = po; this.idx = idx; this.io = io; this.dp = dp; this.dpo = dpo;
            return this;
        }

        void clear() {
            g = null; p = idx = dp = null;
        }

        @Override
        public void fill(int r0, int r1, float[] dst) {
            ConvGeometry g = this.g;
            float[] p = this.p, idx = this.idx, dp = this.dp;
            int ph = this.ph, pw = this.pw, po = this.po, io = this.io, dpo = this.dpo;
            int f = g.filters(), outH = g.outH() / ph, outW = g.outW() / pw, perImage = g.outH() * g.outW();
            FloatVector zero = FloatVector.zero(S);
            int b = r0 / perImage, oh = (r0 % perImage) / g.outW(), ow = r0 % g.outW();
            int i = oh / ph, a = oh % ph, j = ow / pw, e = ow % pw;   // window and position in it, then walked with counters
            for (int r = r0, d = 0; r < r1; r++, d += f) {
                if (i >= outH || j >= outW) {
                    Arrays.fill(dst, d, d + f, 0f);
                } else {
                    int q = ((b * outH + i) * outW + j) * f;
                    float pos = a * pw + e;
                    int c = 0;
                    // Whole vectors unmasked (masked stores showed up in profiles), then the masked tail.
                    for (int upper = S.loopBound(f); c < upper; c += S.length()) {
                        VectorMask<Float> take = FloatVector.fromArray(S, idx, io + q + c).compare(VectorOperators.EQ, pos)
                                .and(FloatVector.fromArray(S, p, po + q + c).compare(VectorOperators.GT, 0f));
                        zero.blend(FloatVector.fromArray(S, dp, dpo + q + c), take).intoArray(dst, d + c);
                    }
                    if (c < f) {
                        VectorMask<Float> m = S.indexInRange(c, f);
                        VectorMask<Float> take = FloatVector.fromArray(S, idx, io + q + c, m).compare(VectorOperators.EQ, pos)
                                .and(FloatVector.fromArray(S, p, po + q + c, m).compare(VectorOperators.GT, 0f));
                        zero.blend(FloatVector.fromArray(S, dp, dpo + q + c, m), take).intoArray(dst, d + c, m);
                    }
                }
                if (++e == pw) { e = 0; j++; }
                if (++ow == g.outW()) {
                    ow = 0; j = 0; e = 0;
                    if (++a == ph) { a = 0; i++; }
                    if (++oh == g.outH()) { oh = 0; i = 0; a = 0; b++; }
                }
            }
        }
    }

    /**
     * The gradient of the pre-activation for rows [r0, r1): dY itself (from row r0, at {@code dyo + r0·f}) when there is
     * neither a ReLU nor a pooled source, else written into {@code dz} from 0 (dY masked by relu(y) &gt; 0, or filled by
     * the fused pool's {@code src}).
     */
    private static float[] gradientRows(float[] dy, int dyo, float[] reluY, int ryo, ConvKernels.GradRows src, int f, int r0,
                                        int r1, float[] dz) {
        if (src == null && reluY == null) return dy;
        if (src != null) src.fill(r0, r1, dz);
        else ConvKernels.maskRows(dy, dyo + r0 * f, reluY, ryo + r0 * f, dz, 0, (r1 - r0) * f);
        return dz;
    }
}
