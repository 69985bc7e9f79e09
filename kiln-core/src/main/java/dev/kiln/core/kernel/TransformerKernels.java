package dev.kiln.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fast float32 kernels of a transformer block's element-wise parts: GELU (tanh approximation) and layer
 * normalisation, forward and backward, plus the vector exponential they and {@link AttentionKernels} share.
 * Twin: {@link ScalarTransformer}; matrices are row-major and contiguous, {@code rows × cols} from an offset.
 *
 * <p>Why a polynomial exp: the Vector API's EXP/TANH lanes (SVML when compiled) differ in the last bit from
 * their interpreted fallback, which made runs depend on when C2 compiled a loop; a scalar {@link Math#tanh}
 * per element cost a sixth of a GPT training step. {@link #exp} is built only from IEEE add, multiply, fma,
 * min/max and integer bit operations, which the interpreter and C2 evaluate identically, so it is both fast
 * and reproducible. Its stated accuracy (tested against {@link Math#exp}): relative error below 4e-7 on
 * [-87, 88]; arguments below -87.33 give about 1.2e-38 instead of a subnormal or 0 (callers that need an exact
 * zero, such as masked attention weights, write it themselves).
 */
public final class TransformerKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;             // ln 2 split so k·LN2_HI is exact for |k| ≤ 2^9
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f;                 // 1.5·2^23: adding it rounds to an integer
    private static final float EXP_MIN = -87.33654f;              // 2^-126: the smallest normal scale
    private static final float EXP_MAX = 88.0f;                   // keeps k ≤ 127
    /** √(2/π) and the cubic coefficient of GPT-2's GELU. */
    static final float GELU_C = 0.7978845608028654f;
    static final float GELU_A = 0.044715f;

    /**
     * Elements (GELU) per task; layer-norm rows are split in fixed blocks of {@link #ROWS} so the column sums of
     * the backward add up in the same order whatever the thread count.
     */
    private static final int CHUNK = 1 << 15;
    private static final int ROWS = 128;

    private TransformerKernels() {}

    // e^x in the vector loops below: x = k·ln2 + r, |r| ≤ ln2/2, e^r by a degree-6 Taylor polynomial (error < 2e-7
    // relative), times 2^k, the steps written out in each loop rather than in a vector-valued helper. C2 refuses to
    // inline a helper it has already compiled on its own into a big method (which it does when C1-compiled loops call
    // it often during warm-up, so it depends on the order of compilations), and every vector crossing that call is then
    // boxed for the rest of the run: a GPT bench run boxed 67 MB a step after 1,500 steps, the next run of the same
    // command none. See FastMath's array section for the same in the gate activations.

    /** e^x for one float, the same arithmetic as the vector loops' (for tails and tests). */
    public static float exp(float x) {
        x = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
        float shifted = x * LOG2E + ROUND;
        float k = shifted - ROUND;
        float r = Math.fma(k, -LN2_HI, x);
        r = Math.fma(k, -LN2_LO, r);
        float p = Math.fma(r, 1f / 720, 1f / 120);
        p = Math.fma(p, r, 1f / 24);
        p = Math.fma(p, r, 1f / 6);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int bits = (Float.floatToRawIntBits(shifted) - (Float.floatToRawIntBits(ROUND) - 127)) << 23;
        return p * Float.intBitsToFloat(bits);
    }

    /**
     * One split GELU or layer-norm pass as a reusable body (one per calling thread) rather than a lambda capturing a
     * dozen arrays and offsets, which was a fresh object on every call of a training step. Its arrays are dropped
     * after each run, so an idle thread keeps no model's storage alive; workers only read it while the caller waits.
     */
    private static final class Split implements Parallel.RangeBody {
        static final int GELU = 0, GELU_BACKWARD = 1, LAYER_NORM = 2, LAYER_NORM_BACKWARD = 3;
        int op, n, rows, cols, xo, yo, go, gmo, bo, so;
        float eps;
        float[] x, y, dy, gamma, beta, mean, rstd, partG, partB;   // y: the output, or dx in a backward

        void forRange(int count, int minChunk) {
            try {
                Parallel.forRange(count, minChunk, this);
            } finally {
                x = y = dy = gamma = beta = mean = rstd = partG = partB = null;
            }
        }

        @Override
        public void run(int t0, int t1) {
            switch (op) {
                case GELU -> geluRange(x, xo, y, yo, t0 * VL, t1 * VL == n / VL * VL ? n : t1 * VL);
                case GELU_BACKWARD -> geluBackwardRange(x, xo, dy, go, y, yo, t0 * VL, t1 * VL == n / VL * VL ? n : t1 * VL);
                case LAYER_NORM -> layerNormRows(x, xo, t0, t1, cols, gamma, gmo, beta, bo, eps, y, yo, mean, rstd, so);
                default -> {
                    for (int bk = t0; bk < t1; bk++) {
                        layerNormBackwardRows(x, xo, bk * ROWS, Math.min(rows, (bk + 1) * ROWS), cols, gamma, gmo, mean, rstd, so, dy, go, y, yo,
                                partG, bk * cols, partB, bk * cols);
                    }
                }
            }
        }
    }

    private static final ThreadLocal<Split> SPLIT = ThreadLocal.withInitial(Split::new);

    // ---------------------------------------------------------------- GELU

    /**
     * y = gelu(x) over n elements, computed as {@code x·σ(2u)} with {@code u = √(2/π)(x + 0.044715x³)}, which
     * equals GPT-2's {@code 0.5·x·(1 + tanh u)} and needs one exp instead of a tanh.
     */
    public static void gelu(float[] x, int xo, float[] y, int yo, int n) {
        Split split = SPLIT.get();
        split.op = Split.GELU;
        split.x = x; split.xo = xo; split.y = y; split.yo = yo; split.n = n;
        split.forRange(n / VL, CHUNK / VL);
    }

    private static void geluRange(float[] x, int xo, float[] y, int yo, int from, int n) {
        int i = from;
        for (int upper = from + S.loopBound(n - from); i < upper; i += VL) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector a = v.mul(v).fma(GELU_A, 1f).mul(v).mul(-2 * GELU_C);   // −2u, then e^a
            a = a.max(EXP_MIN).min(EXP_MAX);
            FloatVector sh = a.mul(LOG2E).add(ROUND);                      // the integer k sits in the low mantissa bits
            FloatVector kk = sh.sub(ROUND);
            FloatVector rr = kk.fma(FloatVector.broadcast(S, -LN2_HI), a);
            rr = kk.fma(FloatVector.broadcast(S, -LN2_LO), rr);
            FloatVector pp = rr.fma(1f / 720, 1f / 120);
            pp = pp.fma(rr, FloatVector.broadcast(S, 1f / 24));
            pp = pp.fma(rr, FloatVector.broadcast(S, 1f / 6));
            pp = pp.fma(rr, FloatVector.broadcast(S, 0.5f));
            pp = pp.fma(rr, FloatVector.broadcast(S, 1f));
            pp = pp.fma(rr, FloatVector.broadcast(S, 1f));
            // 2^k from its bits: (k + 127) << 23, k read back from the rounding sum's low bits.
            var bits = sh.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND) - 127).lanewise(VectorOperators.LSHL, 23);
            FloatVector e = pp.mul(bits.reinterpretAsFloats());
            v.div(e.add(1f)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            float v = x[xo + i];
            y[yo + i] = v / (exp(-2 * GELU_C * (v * Math.fma(v * v, GELU_A, 1f))) + 1f);
        }
    }

    /** dx = dy · gelu'(x) = dy · (s + x·s·(1 − s)·2u'), s = σ(2u), u' = √(2/π)(1 + 3·0.044715x²). */
    public static void geluBackward(float[] x, int xo, float[] dy, int go, float[] dx, int dxo, int n) {
        Split split = SPLIT.get();
        split.op = Split.GELU_BACKWARD;
        split.x = x; split.xo = xo; split.dy = dy; split.go = go; split.y = dx; split.yo = dxo; split.n = n;
        split.forRange(n / VL, CHUNK / VL);
    }

    private static void geluBackwardRange(float[] x, int xo, float[] dy, int go, float[] dx, int dxo, int from, int n) {
        int i = from;
        for (int upper = from + S.loopBound(n - from); i < upper; i += VL) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector v2 = v.mul(v);
            FloatVector a = v2.fma(GELU_A, 1f).mul(v).mul(-2 * GELU_C);   // −2u, then e^a
            a = a.max(EXP_MIN).min(EXP_MAX);
            FloatVector sh = a.mul(LOG2E).add(ROUND);                      // the integer k sits in the low mantissa bits
            FloatVector kk = sh.sub(ROUND);
            FloatVector rr = kk.fma(FloatVector.broadcast(S, -LN2_HI), a);
            rr = kk.fma(FloatVector.broadcast(S, -LN2_LO), rr);
            FloatVector pp = rr.fma(1f / 720, 1f / 120);
            pp = pp.fma(rr, FloatVector.broadcast(S, 1f / 24));
            pp = pp.fma(rr, FloatVector.broadcast(S, 1f / 6));
            pp = pp.fma(rr, FloatVector.broadcast(S, 0.5f));
            pp = pp.fma(rr, FloatVector.broadcast(S, 1f));
            pp = pp.fma(rr, FloatVector.broadcast(S, 1f));
            // 2^k from its bits: (k + 127) << 23, k read back from the rounding sum's low bits.
            var bits = sh.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND) - 127).lanewise(VectorOperators.LSHL, 23);
            FloatVector e = pp.mul(bits.reinterpretAsFloats());
            FloatVector s = FloatVector.broadcast(S, 1f).div(e.add(1f));
            FloatVector du2 = v2.fma(6 * GELU_A * GELU_C, 2 * GELU_C);               // 2u'
            FloatVector d = v.mul(s).mul(s.neg().add(1f)).fma(du2, s);
            d.mul(FloatVector.fromArray(S, dy, go + i)).intoArray(dx, dxo + i);
        }
        for (; i < n; i++) {
            float v = x[xo + i], v2 = v * v;
            float s = 1f / (exp(-2 * GELU_C * (v * Math.fma(v2, GELU_A, 1f))) + 1f);
            float du2 = Math.fma(v2, 6 * GELU_A * GELU_C, 2 * GELU_C);
            dx[dxo + i] = Math.fma(v * s * (1f - s), du2, s) * dy[go + i];
        }
    }

    /**
     * p[r + j] = e^(p[r + j] − max) (0 where keep is 0) for j in [0, upper), whole vectors; returns their sum (lanes
     * added in order). The attention's softmax row (AttentionKernels) calls it, so that the exp steps stay here.
     */
    static float expShiftedSum(float[] p, int r, int upper, float max, float[] keep, int mb, float[] lanes) {
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < upper; j += VL) {
            FloatVector a = FloatVector.fromArray(S, p, r + j).sub(max);
            a = a.max(EXP_MIN).min(EXP_MAX);
            FloatVector sh = a.mul(LOG2E).add(ROUND);                      // the integer k sits in the low mantissa bits
            FloatVector kk = sh.sub(ROUND);
            FloatVector rr = kk.fma(FloatVector.broadcast(S, -LN2_HI), a);
            rr = kk.fma(FloatVector.broadcast(S, -LN2_LO), rr);
            FloatVector pp = rr.fma(1f / 720, 1f / 120);
            pp = pp.fma(rr, FloatVector.broadcast(S, 1f / 24));
            pp = pp.fma(rr, FloatVector.broadcast(S, 1f / 6));
            pp = pp.fma(rr, FloatVector.broadcast(S, 0.5f));
            pp = pp.fma(rr, FloatVector.broadcast(S, 1f));
            pp = pp.fma(rr, FloatVector.broadcast(S, 1f));
            // 2^k from its bits: (k + 127) << 23, k read back from the rounding sum's low bits.
            var bits = sh.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND) - 127).lanewise(VectorOperators.LSHL, 23);
            FloatVector e = pp.mul(bits.reinterpretAsFloats());
            if (keep != null) e = e.mul(FloatVector.fromArray(S, keep, mb + j));   // keep is 0/1: masked keys exactly 0
            e.intoArray(p, r + j);
            acc = e.add(acc);   // receiver of known class (see AttentionKernels.softmaxRow)
        }
        acc.intoArray(lanes, 0);
        return Elementwise.addLanes(lanes);
    }

    // ---------------------------------------------------------------- layer normalisation

    /**
     * Per row: {@code y = (x − mean)·rstd·gamma + beta} with the biased variance; writes mean and
     * {@code rstd = 1/√(var + ε)} per row for the backward. Two passes over the row (mean, then the centred
     * squares), which is as accurate as the composed form.
     */
    public static void layerNorm(float[] x, int xo, int rows, int cols, float[] gamma, int gmo, float[] beta, int bo, float eps,
                                 float[] y, int yo, float[] mean, float[] rstd, int so) {
        Split split = SPLIT.get();
        split.op = Split.LAYER_NORM;
        split.x = x; split.xo = xo; split.cols = cols; split.gamma = gamma; split.gmo = gmo; split.beta = beta; split.bo = bo;
        split.eps = eps; split.y = y; split.yo = yo; split.mean = mean; split.rstd = rstd; split.so = so;
        split.forRange(rows, Math.max(1, CHUNK / Math.max(1, cols)));
    }

    private static void layerNormRows(float[] x, int xo, int r0, int r1, int cols, float[] gamma, int gmo, float[] beta, int bo, float eps,
                                      float[] y, int yo, float[] mean, float[] rstd, int so) {
        int upper = S.loopBound(cols);
        float[] lanes = Elementwise.lanes();   // once, not a thread-local lookup per row
        for (int r = r0; r < r1; r++) {
            int xr = xo + r * cols, yr = yo + r * cols;
            int j = 0;
            FloatVector acc = FloatVector.zero(S);
            for (; j < upper; j += VL) acc = acc.add(FloatVector.fromArray(S, x, xr + j));
            acc.intoArray(lanes, 0);
            float sum = Elementwise.addLanes(lanes);
            for (; j < cols; j++) sum += x[xr + j];
            float mu = sum / cols;
            acc = FloatVector.zero(S);
            for (j = 0; j < upper; j += VL) {
                FloatVector c = FloatVector.fromArray(S, x, xr + j).sub(mu);
                acc = c.fma(c, acc);
            }
            acc.intoArray(lanes, 0);
            float sq = Elementwise.addLanes(lanes);
            for (; j < cols; j++) {
                float c = x[xr + j] - mu;
                sq += c * c;
            }
            float rs = (float) (1 / Math.sqrt(sq / cols + eps));
            mean[so + r] = mu;
            rstd[so + r] = rs;
            for (j = 0; j < upper; j += VL) {
                FloatVector g = FloatVector.fromArray(S, gamma, gmo + j).mul(rs);
                FloatVector.fromArray(S, x, xr + j).sub(mu).fma(g, FloatVector.fromArray(S, beta, bo + j)).intoArray(y, yr + j);
            }
            for (; j < cols; j++) y[yr + j] = Math.fma(x[xr + j] - mu, gamma[gmo + j] * rs, beta[bo + j]);
        }
    }

    /**
     * The backward of {@link #layerNorm}: with x̂ = (x − mean)·rstd and g = dy·gamma,
     * {@code dx = rstd·(g − mean(g) − x̂·mean(g·x̂))}; the column sums {@code Σ dy·x̂} and {@code Σ dy} are added to
     * dGamma and dBeta (either may be null; dx may be null when only those are wanted).
     */
    public static void layerNormBackward(float[] x, int xo, int rows, int cols, float[] gamma, int gmo, float[] mean, float[] rstd, int so,
                                         float[] dy, int go, float[] dx, int dxo, float[] dGamma, int dgo, float[] dBeta, int dbo) {
        int blocks = (rows + ROWS - 1) / ROWS;
        float[][] kept = PARTIALS.get();
        float[] partG = dGamma == null ? null : partials(kept, 0, blocks * cols), partB = dBeta == null ? null : partials(kept, 1, blocks * cols);
        Split split = SPLIT.get();
        split.op = Split.LAYER_NORM_BACKWARD;
        split.x = x; split.xo = xo; split.rows = rows; split.cols = cols; split.gamma = gamma; split.gmo = gmo; split.mean = mean;
        split.rstd = rstd; split.so = so; split.dy = dy; split.go = go; split.y = dx; split.yo = dxo; split.partG = partG; split.partB = partB;
        split.forRange(blocks, Math.max(1, CHUNK / Math.max(1, ROWS * cols)));
        for (int bk = 0; bk < blocks; bk++) {   // block order: the same sums for any thread count
            if (dGamma != null) Elementwise.addInPlace(dGamma, dgo, partG, bk * cols, cols);
            if (dBeta != null) Elementwise.addInPlace(dBeta, dbo, partB, bk * cols, cols);
        }
    }

    /**
     * The calling thread's per-block partial sums of {@link #layerNormBackward} (gamma's, beta's), kept between calls so
     * a training step allocates none; the workers write disjoint blocks of them while the caller waits. At most
     * {@link #PARTIALS_KEEP} floats each are kept (blocks·C is rows/128·C: 4096 rows of 768 take 24 K floats), a
     * larger call gets its own.
     */
    private static final ThreadLocal<float[][]> PARTIALS = ThreadLocal.withInitial(() -> new float[2][0]);
    private static final int PARTIALS_KEEP = 1 << 20;

    /** n zeros (the rows are added into them) in {@code kept[i]}, grown when too short. */
    private static float[] partials(float[][] kept, int i, int n) {
        if (kept[i].length >= n) {
            java.util.Arrays.fill(kept[i], 0, n, 0f);
            return kept[i];
        }
        float[] a = new float[n];
        if (n <= PARTIALS_KEEP) kept[i] = a;
        return a;
    }

    private static void layerNormBackwardRows(float[] x, int xo, int r0, int r1, int cols, float[] gamma, int gmo, float[] mean, float[] rstd,
                                              int so, float[] dy, int go, float[] dx, int dxo, float[] dGamma, int dgo, float[] dBeta, int dbo) {
        int upper = S.loopBound(cols);
        float[] lanes = Elementwise.lanes();
        for (int r = r0; r < r1; r++) {
            int xr = xo + r * cols, gr = go + r * cols, dr = dxo + r * cols;
            float mu = mean[so + r], rs = rstd[so + r];
            FloatVector sg = FloatVector.zero(S), sgx = FloatVector.zero(S);
            int j = 0;
            for (; j < upper; j += VL) {
                FloatVector xh = FloatVector.fromArray(S, x, xr + j).sub(mu).mul(rs);
                FloatVector d = FloatVector.fromArray(S, dy, gr + j);
                FloatVector g = d.mul(FloatVector.fromArray(S, gamma, gmo + j));
                sg = sg.add(g);
                sgx = g.fma(xh, sgx);
                if (dGamma != null) d.fma(xh, FloatVector.fromArray(S, dGamma, dgo + j)).intoArray(dGamma, dgo + j);
                if (dBeta != null) d.add(FloatVector.fromArray(S, dBeta, dbo + j)).intoArray(dBeta, dbo + j);
            }
            sg.intoArray(lanes, 0);
            float sumG = Elementwise.addLanes(lanes);
            sgx.intoArray(lanes, 0);
            float sumGx = Elementwise.addLanes(lanes);
            for (; j < cols; j++) {
                float xh = (x[xr + j] - mu) * rs, d = dy[gr + j], g = d * gamma[gmo + j];
                sumG += g;
                sumGx += g * xh;
                if (dGamma != null) dGamma[dgo + j] += d * xh;
                if (dBeta != null) dBeta[dbo + j] += d;
            }
            if (dx == null) continue;
            float mg = sumG / cols, mgx = sumGx / cols;
            for (j = 0; j < upper; j += VL) {
                FloatVector xh = FloatVector.fromArray(S, x, xr + j).sub(mu).mul(rs);
                FloatVector g = FloatVector.fromArray(S, dy, gr + j).mul(FloatVector.fromArray(S, gamma, gmo + j));
                g.sub(mg).sub(xh.mul(mgx)).mul(rs).intoArray(dx, dr + j);
            }
            for (; j < cols; j++) {
                float xh = (x[xr + j] - mu) * rs, g = dy[gr + j] * gamma[gmo + j];
                dx[dr + j] = (g - mg - xh * mgx) * rs;
            }
        }
    }
}
