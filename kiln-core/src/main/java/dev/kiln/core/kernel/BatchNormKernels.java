package dev.kiln.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch normalisation over the rows of a (rows × cols) channels-last matrix, per column (channel): the statistics, the
 * normalisation and its backward as whole passes. Twins: the {@code *Scalar} methods, in double.
 *
 * <p>Column sums run over fixed blocks of {@link #ROWS} rows, each one float chain in row order, and the block sums
 * are added in block order in double: the same bits for any thread count, and a 43,000-row batch (64 images of 26×26)
 * is summed as 170 floats' worth of rounding rather than 43,000. Inner loops go along the columns, whole vectors and
 * then a scalar tail; the partial sums of a block live in a per-call scratch row that stays in L1.
 *
 * <p>A ReLU after the normalisation can run inside these passes (BatchNormalization → ReLU, the usual convolution
 * block): the forward clamps as it writes, and the backward passes recompute the normalised value from x with the
 * forward's own operations and count dy only where it was above zero. That is the separate ReLU's forward and backward
 * bit for bit, without its two passes over the activation or its arrays.
 */
public final class BatchNormKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    /** Rows per block of a column sum (a float chain), and per task at least {@link #CHUNK} elements. */
    static final int ROWS = 256;
    private static final int CHUNK = 1 << 15;

    private BatchNormKernels() {}

    private static final int MOMENTS = 0, NORMALIZE = 1, BACKWARD_SUMS = 2, BACKWARD_INPUT = 3;

    /**
     * One pass over blocks of rows, as a reusable body (one per calling thread) rather than a capturing lambda, which
     * would be a fresh object on every call of a training step. {@link #clear} drops the arrays after the pass.
     */
    private static final class Pass implements Parallel.RangeBody {
        int mode, xo, go, yo, rows, cols;
        boolean relu;           // a ReLU follows: NORMALIZE clamps; the backward modes gate dy by (x − a)·sc + sh > 0
        float[] x, dy, y, a, b, c, sc, sh, part, part2;

        @Override
        public void run(int b0, int b1) {
            // Up to four whole vectors of columns (C = 16, 32, 48, 64): a block's sums stay in registers instead of a
            // load and a store of the partial row per input row; the same additions in the same order.
            int inRegisters = cols % VL == 0 && cols <= 4 * VL ? cols / VL : 0;
            for (int bk = b0; bk < b1; bk++) {
                int r0 = bk * ROWS, r1 = Math.min(rows, r0 + ROWS), p = bk * cols;
                if (inRegisters > 0 && mode != NORMALIZE && mode != BACKWARD_INPUT) {
                    for (int v = 0; v < inRegisters; v++) columnSumsInRegisters(r0, r1, p, v * VL);
                    continue;
                }
                switch (mode) {
                    case MOMENTS -> {
                        sumRows(r0, r1, p);
                        centeredSquareRows(r0, r1, p);
                    }
                    case NORMALIZE -> normalizeRows(r0, r1);
                    case BACKWARD_SUMS -> backwardSumRows(r0, r1, p);
                    default -> backwardInputRows(r0, r1);
                }
            }
        }

        /**
         * The column sums of this pass's mode for one vector of columns {@code j…j+VL} over rows r0…r1, accumulated in
         * registers and written to the (zeroed) partials once: the same float chains as {@link #sumRows},
         * {@link #centeredSquareRows} and {@link #backwardSumRows}.
         */
        private void columnSumsInRegisters(int r0, int r1, int p, int j) {
            FloatVector s1 = FloatVector.zero(S), s2 = FloatVector.zero(S);
            if (mode == MOMENTS) {
                for (int r = r0, xr = xo + r0 * cols + j; r < r1; r++, xr += cols) s1 = s1.add(FloatVector.fromArray(S, x, xr));
                // The block's rows again, from cache now, about the block's own mean (the centre combineMoments uses).
                FloatVector centre = s1.mul(1f / (r1 - r0));
                for (int r = r0, xr = xo + r0 * cols + j; r < r1; r++, xr += cols) {
                    FloatVector d = FloatVector.fromArray(S, x, xr).sub(centre);
                    s2 = d.fma(d, s2);
                }
                s2.intoArray(part2, p + j);
            } else {
                FloatVector mean = FloatVector.fromArray(S, a, j), rstd = FloatVector.fromArray(S, b, j);
                boolean gated = relu;
                FloatVector scale = gated ? FloatVector.fromArray(S, sc, j) : mean, shift = gated ? FloatVector.fromArray(S, sh, j) : mean;
                for (int r = r0, xr = xo + r0 * cols + j, gr = go + r0 * cols + j; r < r1; r++, xr += cols, gr += cols) {
                    FloatVector d = FloatVector.fromArray(S, dy, gr), xc = FloatVector.fromArray(S, x, xr).sub(mean);
                    if (gated) d = d.mul(FloatVector.zero(S).blend(1f, xc.fma(scale, shift).compare(VectorOperators.GT, 0f)));
                    s1 = s1.add(d);
                    s2 = d.fma(xc.mul(rstd), s2);
                }
                s2.intoArray(part2, p + j);
            }
            s1.intoArray(part, p + j);
        }

        private void sumRows(int r0, int r1, int p) {
            int upper = S.loopBound(cols);
            for (int r = r0; r < r1; r++) {
                int xr = xo + r * cols, j = 0;
                for (; j < upper; j += VL) FloatVector.fromArray(S, part, p + j).add(FloatVector.fromArray(S, x, xr + j)).intoArray(part, p + j);
                for (; j < cols; j++) part[p + j] += x[xr + j];
            }
        }

        /**
         * part2 += (x − c)² over the block's rows, c its own mean, part·(1/n) with the block's sums in {@code part}
         * (just summed, so the rows come from cache).
         */
        private void centeredSquareRows(int r0, int r1, int p) {
            int upper = S.loopBound(cols);
            float inv = 1f / (r1 - r0);
            for (int r = r0; r < r1; r++) {
                int xr = xo + r * cols, j = 0;
                for (; j < upper; j += VL) {
                    FloatVector d = FloatVector.fromArray(S, x, xr + j).sub(FloatVector.fromArray(S, part, p + j).mul(inv));
                    d.fma(d, FloatVector.fromArray(S, part2, p + j)).intoArray(part2, p + j);
                }
                for (; j < cols; j++) {
                    float d = x[xr + j] - part[p + j] * inv;
                    part2[p + j] = Math.fma(d, d, part2[p + j]);
                }
            }
        }

        /**
         * y = (x − mean)·scale + shift, then max(0, y) when a ReLU follows (as {@link Elementwise#unary} clamps): mean in
         * {@code a}, scale in {@code b}, shift in {@code c}.
         */
        private void normalizeRows(int r0, int r1) {
            int upper = S.loopBound(cols);
            boolean clamp = relu;
            for (int r = r0; r < r1; r++) {
                int xr = xo + r * cols, yr = yo + r * cols, j = 0;
                for (; j < upper; j += VL) {
                    FloatVector v = FloatVector.fromArray(S, x, xr + j).sub(FloatVector.fromArray(S, a, j))
                            .fma(FloatVector.fromArray(S, b, j), FloatVector.fromArray(S, c, j));
                    (clamp ? v.max(0f) : v).intoArray(y, yr + j);
                }
                for (; j < cols; j++) {
                    float v = Math.fma(x[xr + j] - a[j], b[j], c[j]);
                    y[yr + j] = clamp && !(v > 0) ? 0f : v;
                }
            }
        }

        /**
         * dy as the ReLU passes it back, dy·step(v) (1 where v > 0, else 0, as {@code UnaryKind.STEP}), v recomputed as
         * the forward made it; dy itself when none follows. The vector loops write the same steps out: a helper taking
         * a vector would box it whenever C2 leaves the call out of line (NoVectorCrossesACallTest).
         */
        private float gate(float d, int xi, int j) {
            return relu ? d * (Math.fma(x[xi] - a[j], sc[j], sh[j]) > 0 ? 1f : 0f) : d;
        }

        /**
         * part += dy, part2 += dy·x̂ with x̂ = (x − mean)·rstd: mean in {@code a}, rstd in {@code b}; dy gated by the ReLU
         * when one follows.
         */
        private void backwardSumRows(int r0, int r1, int p) {
            int upper = S.loopBound(cols);
            boolean gated = relu;
            for (int r = r0; r < r1; r++) {
                int xr = xo + r * cols, gr = go + r * cols, j = 0;
                for (; j < upper; j += VL) {
                    FloatVector d = FloatVector.fromArray(S, dy, gr + j), xc = FloatVector.fromArray(S, x, xr + j).sub(FloatVector.fromArray(S, a, j));
                    if (gated) {
                        FloatVector v = xc.fma(FloatVector.fromArray(S, sc, j), FloatVector.fromArray(S, sh, j));
                        d = d.mul(FloatVector.zero(S).blend(1f, v.compare(VectorOperators.GT, 0f)));
                    }
                    FloatVector xh = xc.mul(FloatVector.fromArray(S, b, j));
                    FloatVector.fromArray(S, part, p + j).add(d).intoArray(part, p + j);
                    d.fma(xh, FloatVector.fromArray(S, part2, p + j)).intoArray(part2, p + j);
                }
                for (; j < cols; j++) {
                    float d = gate(dy[gr + j], xr + j, j), xh = (x[xr + j] - a[j]) * b[j];
                    part[p + j] += d;
                    part2[p + j] = Math.fma(d, xh, part2[p + j]);
                }
            }
        }

        /**
         * dx = dy·k + x̂·q + s with x̂ = (x − mean)·rstd: mean in {@code a}, rstd in {@code b}, and k, q, s one after
         * the other in {@code c} (3·cols); dy gated by the ReLU when one follows.
         */
        private void backwardInputRows(int r0, int r1) {
            int upper = S.loopBound(cols);
            boolean gated = relu;
            for (int r = r0; r < r1; r++) {
                int xr = xo + r * cols, gr = go + r * cols, yr = yo + r * cols, j = 0;
                for (; j < upper; j += VL) {
                    FloatVector d = FloatVector.fromArray(S, dy, gr + j), xc = FloatVector.fromArray(S, x, xr + j).sub(FloatVector.fromArray(S, a, j));
                    if (gated) {
                        FloatVector v = xc.fma(FloatVector.fromArray(S, sc, j), FloatVector.fromArray(S, sh, j));
                        d = d.mul(FloatVector.zero(S).blend(1f, v.compare(VectorOperators.GT, 0f)));
                    }
                    FloatVector t = xc.mul(FloatVector.fromArray(S, b, j)).fma(FloatVector.fromArray(S, c, cols + j), FloatVector.fromArray(S, c, 2 * cols + j));
                    d.fma(FloatVector.fromArray(S, c, j), t).intoArray(y, yr + j);
                }
                for (; j < cols; j++) {
                    float xh = (x[xr + j] - a[j]) * b[j];
                    y[yr + j] = Math.fma(gate(dy[gr + j], xr + j, j), c[j], Math.fma(xh, c[cols + j], c[2 * cols + j]));
                }
            }
        }

        /** The operands of one pass (null where the pass does not read them); no ReLU unless {@link #reluAfter} says so. */
        Pass set(float[] x, int xo, float[] dy, int go, float[] a, float[] b, float[] c, float[] y, int yo) {
            this.relu = false;
            this.x = x;
            this.xo = xo;
            this.dy = dy;
            this.go = go;
            this.a = a;
            this.b = b;
            this.c = c;
            this.y = y;
            this.yo = yo;
            return this;
        }

        /** A ReLU follows; for the backward passes, the forward's scale and shift to recompute its input (null for NORMALIZE). */
        Pass reluAfter(float[] scale, float[] shift) {
            this.relu = true;
            this.sc = scale;
            this.sh = shift;
            return this;
        }

        void clear() {
            x = dy = y = a = b = c = sc = sh = part = part2 = null;
            relu = false;
        }
    }

    /** The calling thread's pass body and block partials, kept so a training step allocates nothing. */
    private static final class Scratch {
        final Pass pass = new Pass();
        float[] part = new float[0], part2 = new float[0];
        double[] acc = new double[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static void run(Scratch s, int mode, int rows, int cols) {
        int blocks = (rows + ROWS - 1) / ROWS;
        s.pass.mode = mode;
        s.pass.rows = rows;
        s.pass.cols = cols;
        try {
            Parallel.forRange(blocks, Math.max(1, CHUNK / Math.max(1, ROWS * cols)), s.pass);
        } finally {
            s.pass.clear();
        }
    }

    /** Zeroed partial rows, blocks × cols, in the scratch (grown when short). */
    private static void partials(Scratch s, int rows, int cols, boolean two) {
        int n = (rows + ROWS - 1) / ROWS * cols;
        if (s.part.length < n) s.part = new float[n];
        java.util.Arrays.fill(s.part, 0, n, 0f);
        if (two) {
            if (s.part2.length < n) s.part2 = new float[n];
            java.util.Arrays.fill(s.part2, 0, n, 0f);
        }
        if (s.acc.length < 2 * cols) s.acc = new double[2 * cols];
    }

    /** out[j] = (Σ over blocks of part, in block order, in double) · scale. */
    private static void combine(float[] part, int rows, int cols, double[] acc, double scale, float[] out) {
        sumBlocks(part, rows, cols, acc);
        for (int j = 0; j < cols; j++) out[j] = (float) (acc[j] * scale);
    }

    /** acc[j] = Σ over blocks of part, in block order, in double. */
    private static void sumBlocks(float[] part, int rows, int cols, double[] acc) {
        java.util.Arrays.fill(acc, 0, cols, 0);
        for (int bk = 0, blocks = (rows + ROWS - 1) / ROWS; bk < blocks; bk++) {
            for (int j = 0; j < cols; j++) acc[j] += part[bk * cols + j];
        }
    }

    /**
     * Per column: mean and biased variance of x (rows × cols, rows ≥ 1) in one pass over memory. Each block of rows is
     * summed, then its squares are taken about the block's own mean while its rows are still in cache (centred
     * squares keep the variance of data far from zero accurate, as a second pass about the batch mean did), and the
     * blocks are combined in double (Chan, Golub &amp; LeVeque's pairwise update).
     */
    public static void moments(float[] x, int xo, int rows, int cols, float[] mean, float[] var) {
        Scratch s = SCRATCH.get();
        partials(s, rows, cols, true);
        Pass p = s.pass.set(x, xo, null, 0, null, null, null, null, 0);
        p.part = s.part;
        p.part2 = s.part2;
        run(s, MOMENTS, rows, cols);
        combineMoments(s.part, s.part2, rows, cols, s.acc, mean, var);
    }

    /**
     * The batch mean μ and variance from each block's sum s and squares q about its centre c = s·(1/n) (the float the
     * kernel used): Σ(x − μ)² = Σ over blocks of q + 2(c − μ)(s − n·c) + n(c − μ)², exact for any centre.
     */
    private static void combineMoments(float[] part, float[] part2, int rows, int cols, double[] acc, float[] mean, float[] var) {
        int blocks = (rows + ROWS - 1) / ROWS;
        sumBlocks(part, rows, cols, acc);
        java.util.Arrays.fill(acc, cols, 2 * cols, 0);
        for (int j = 0; j < cols; j++) acc[j] *= 1.0 / rows;
        for (int bk = 0; bk < blocks; bk++) {
            int n = Math.min(ROWS, rows - bk * ROWS);
            float inv = 1f / n;
            for (int j = 0; j < cols; j++) {
                float sum = part[bk * cols + j], centre = sum * inv;
                double dev = centre - acc[j];
                acc[cols + j] += part2[bk * cols + j] + 2 * dev * (sum - (double) n * centre) + n * dev * dev;
            }
        }
        for (int j = 0; j < cols; j++) {
            mean[j] = (float) acc[j];
            var[j] = (float) Math.max(0, acc[cols + j] / rows);
        }
    }

    /** y = (x − mean)·scale + shift per column, then max(0, y) if {@code relu}. */
    public static void normalize(float[] x, int xo, int rows, int cols, float[] mean, float[] scale, float[] shift, boolean relu,
                                 float[] y, int yo) {
        Scratch s = SCRATCH.get();
        Pass p = s.pass.set(x, xo, null, 0, mean, scale, shift, y, yo);
        if (relu) p.reluAfter(null, null);
        run(s, NORMALIZE, rows, cols);
    }

    /**
     * Per column: sumDy = Σ dy and sumDyXhat = Σ dy·x̂ with x̂ = (x − mean)·rstd (beta's and gamma's gradients). With
     * {@code reluScale} and {@code reluShift} (the forward's scale and shift; null when no ReLU followed), dy is the
     * ReLU's output gradient and counts where (x − mean)·scale + shift > 0.
     */
    public static void backwardSums(float[] x, int xo, float[] dy, int go, int rows, int cols, float[] mean, float[] rstd,
                                    float[] reluScale, float[] reluShift, float[] sumDy, float[] sumDyXhat) {
        Scratch s = SCRATCH.get();
        partials(s, rows, cols, true);
        Pass p = s.pass.set(x, xo, dy, go, mean, rstd, null, null, 0);
        if (reluScale != null) p.reluAfter(reluScale, reluShift);
        p.part = s.part;
        p.part2 = s.part2;
        run(s, BACKWARD_SUMS, rows, cols);
        combine(s.part, rows, cols, s.acc, 1, sumDy);
        combine(s.part2, rows, cols, s.acc, 1, sumDyXhat);
    }

    /**
     * dx = dy·k + x̂·q + s per column, x̂ = (x − mean)·rstd; {@code kqs} holds k, q and s, cols each. dy gated by a ReLU
     * as in {@link #backwardSums} when {@code reluScale} is given.
     */
    public static void backwardInput(float[] x, int xo, float[] dy, int go, int rows, int cols, float[] mean, float[] rstd,
                                     float[] reluScale, float[] reluShift, float[] kqs, float[] dx, int dxo) {
        Scratch s = SCRATCH.get();
        Pass p = s.pass.set(x, xo, dy, go, mean, rstd, kqs, dx, dxo);
        if (reluScale != null) p.reluAfter(reluScale, reluShift);
        run(s, BACKWARD_INPUT, rows, cols);
    }

    // ---------------------------------------------------------------- scalar twins (double)

    /** Twin of {@link #moments}. */
    public static void momentsScalar(Buf x, int xo, int rows, int cols, Buf mean, Buf var) {
        for (int j = 0; j < cols; j++) {
            double sum = 0;
            for (int r = 0; r < rows; r++) sum += x.get(xo + r * cols + j);
            double mu = sum / rows, sq = 0;
            for (int r = 0; r < rows; r++) {
                double d = x.get(xo + r * cols + j) - mu;
                sq += d * d;
            }
            mean.set(j, mu);
            var.set(j, sq / rows);
        }
    }

    /** Twin of {@link #normalize}. */
    public static void normalizeScalar(Buf x, int xo, int rows, int cols, Buf mean, Buf scale, Buf shift, boolean relu, Buf y, int yo) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                double v = (x.get(xo + r * cols + j) - mean.get(j)) * scale.get(j) + shift.get(j);
                y.set(yo + r * cols + j, relu && !(v > 0) ? 0 : v);
            }
        }
    }

    /** dy·step((x − mean)·scale + shift) when a ReLU followed (scale non-null), else dy: the twins' gate. */
    private static double gateScalar(Buf x, int xi, Buf dy, int gi, Buf mean, Buf scale, Buf shift, int j) {
        double d = dy.get(gi);
        return scale == null ? d : d * ((x.get(xi) - mean.get(j)) * scale.get(j) + shift.get(j) > 0 ? 1 : 0);
    }

    /** Twin of {@link #backwardSums}. */
    public static void backwardSumsScalar(Buf x, int xo, Buf dy, int go, int rows, int cols, Buf mean, Buf rstd, Buf reluScale, Buf reluShift,
                                          Buf sumDy, Buf sumDyXhat) {
        for (int j = 0; j < cols; j++) {
            double sd = 0, sdx = 0;
            for (int r = 0; r < rows; r++) {
                double d = gateScalar(x, xo + r * cols + j, dy, go + r * cols + j, mean, reluScale, reluShift, j);
                sd += d;
                sdx += d * (x.get(xo + r * cols + j) - mean.get(j)) * rstd.get(j);
            }
            sumDy.set(j, sd);
            sumDyXhat.set(j, sdx);
        }
    }

    /** Twin of {@link #backwardInput}. */
    public static void backwardInputScalar(Buf x, int xo, Buf dy, int go, int rows, int cols, Buf mean, Buf rstd, Buf reluScale, Buf reluShift,
                                           Buf kqs, Buf dx, int dxo) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                double xh = (x.get(xo + r * cols + j) - mean.get(j)) * rstd.get(j);
                double d = gateScalar(x, xo + r * cols + j, dy, go + r * cols + j, mean, reluScale, reluShift, j);
                dx.set(dxo + r * cols + j, d * kqs.get(j) + xh * kqs.get(cols + j) + kqs.get(2 * cols + j));
            }
        }
    }
}
