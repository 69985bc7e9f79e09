package dev.kiln.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fused kernels for the training hot path: softmax, sparse softmax cross-entropy and binary cross-entropy from
 * logits (forward and backward), and the bias + ReLU epilogue of a linear layer. Each fast float32 kernel (Vector API) sits beside its plain
 * scalar twin over {@link Buf}, which is also the float64 implementation used by gradient checks.
 * Matrices are row-major and contiguous: {@code rows × cols} starting at the given offset.
 *
 * <p>exp and log go through {@link Math} (not the Vector API's EXP/LOG, whose compiled and interpreted
 * results differ in the last bit), so the fast and scalar kernels agree and runs are reproducible.
 */
public final class FusedKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private FusedKernels() {}

    // ---------------------------------------------------------------- sparse softmax cross-entropy

    /**
     * Per row r: {@code loss[lo + r] = logsumexp(x_r) - x_r[labels[r]]} (stable: the row maximum is subtracted
     * first) and {@code probs_r = softmax(x_r)}, which the backward reuses.
     */
    public static void softmaxXent(float[] x, int xo, int rows, int cols, int[] labels, float[] probs, int po, float[] loss, int lo) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols;
            float max = rowMax(x, xr, cols);
            double sum = expNormalised(x, xr, cols, max, probs, po + r * cols);
            loss[lo + r] = (float) (Math.log(sum) + max - x[xr + labels[r]]);
        }
    }

    /** Per row: {@code y_r = softmax(x_r)}, the row maximum subtracted first; the same bits as {@link #softmaxXent}'s probabilities. */
    public static void softmax(float[] x, int xo, int rows, int cols, float[] y, int yo) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols;
            expNormalised(x, xr, cols, rowMax(x, xr, cols), y, yo + r * cols);
        }
    }

    /** Scalar twin of {@link #softmax}. */
    public static void softmaxScalar(Buf x, int xo, int rows, int cols, Buf y, int yo) {
        for (int r = 0; r < rows; r++) softmaxRowScalar(x, xo + r * cols, cols, y, yo + r * cols);
    }

    /** One row of {@link #softmaxScalar} and {@link #softmaxXentScalar}; returns the row's log-sum-exp. */
    private static double softmaxRowScalar(Buf x, int xr, int cols, Buf y, int yr) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) max = Math.max(max, x.get(xr + j));
        double sum = 0;
        for (int j = 0; j < cols; j++) {
            y.set(yr + j, Math.exp(x.get(xr + j) - max));
            sum += y.get(yr + j);   // read back: float storage rounds as the fast kernel does
        }
        double inv = y instanceof Buf.F ? (float) (1.0 / sum) : 1.0 / sum;
        for (int j = 0; j < cols; j++) y.set(yr + j, y.get(yr + j) * inv);
        return Math.log(sum) + max;
    }

    /**
     * The softmax's backward per row: {@code dx_r = y_r ⊙ (dy_r − Σ_j y_rj·dy_rj)}, from the forward's output y.
     * dx may be dy (in place).
     */
    public static void softmaxBackward(float[] y, int yo, float[] dy, int go, int rows, int cols, float[] dx, int dxo) {
        int upper = S.loopBound(cols);
        float[] lanes = Elementwise.lanes();
        for (int r = 0; r < rows; r++) {
            int yr = yo + r * cols, gr = go + r * cols, dr = dxo + r * cols;
            int j = 0;
            FloatVector acc = FloatVector.zero(S);
            for (; j < upper; j += S.length()) acc = FloatVector.fromArray(S, y, yr + j).fma(FloatVector.fromArray(S, dy, gr + j), acc);
            acc.intoArray(lanes, 0);
            float dot = Elementwise.addLanes(lanes);
            for (; j < cols; j++) dot += y[yr + j] * dy[gr + j];
            for (j = 0; j < upper; j += S.length()) {
                FloatVector.fromArray(S, dy, gr + j).sub(dot).mul(FloatVector.fromArray(S, y, yr + j)).intoArray(dx, dr + j);
            }
            for (; j < cols; j++) dx[dr + j] = (dy[gr + j] - dot) * y[yr + j];
        }
    }

    /** Scalar twin of {@link #softmaxBackward}. */
    public static void softmaxBackwardScalar(Buf y, int yo, Buf dy, int go, int rows, int cols, Buf dx, int dxo) {
        for (int r = 0; r < rows; r++) {
            int yr = yo + r * cols, gr = go + r * cols, dr = dxo + r * cols;
            double dot = 0;
            for (int j = 0; j < cols; j++) dot += y.get(yr + j) * dy.get(gr + j);
            for (int j = 0; j < cols; j++) dx.set(dr + j, (dy.get(gr + j) - dot) * y.get(yr + j));
        }
    }

    /** The maximum of a row (vectorised). */
    private static float rowMax(float[] x, int xr, int cols) {
        int upper = S.loopBound(cols);
        float max = Float.NEGATIVE_INFINITY;
        int j = 0;
        if (upper > 0) {
            FloatVector m = FloatVector.fromArray(S, x, xr);
            for (j = S.length(); j < upper; j += S.length()) m = m.max(FloatVector.fromArray(S, x, xr + j));
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; j < cols; j++) max = Math.max(max, x[xr + j]);
        return max;
    }

    /** p_j = e^(x_j − max) / Σ e^(x_k − max) over one row; returns the sum (before the division). */
    private static double expNormalised(float[] x, int xr, int cols, float max, float[] p, int pr) {
        double sum = 0;
        for (int j = 0; j < cols; j++) {
            float e = (float) Math.exp(x[xr + j] - max);
            p[pr + j] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        int upper = S.loopBound(cols), j = 0;
        for (; j < upper; j += S.length()) FloatVector.fromArray(S, p, pr + j).mul(inv).intoArray(p, pr + j);
        for (; j < cols; j++) p[pr + j] *= inv;
        return sum;
    }

    /** Scalar twin of {@link #softmaxXent}. */
    public static void softmaxXentScalar(Buf x, int xo, int rows, int cols, int[] labels, Buf probs, int po, Buf loss, int lo) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols;
            loss.set(lo + r, softmaxRowScalar(x, xr, cols, probs, po + r * cols) - x.get(xr + labels[r]));
        }
    }

    /** Per row r: {@code dx_r = (probs_r - onehot(labels[r])) · scale[so + r·ss]} (ss = 0 broadcasts one scale). */
    public static void softmaxXentBackward(float[] probs, int po, int rows, int cols, int[] labels, float[] scale, int so, int ss,
                                           float[] dx, int dxo) {
        int upper = S.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int pr = po + r * cols, dr = dxo + r * cols;
            float s = scale[so + r * ss];
            int j = 0;
            for (; j < upper; j += S.length()) FloatVector.fromArray(S, probs, pr + j).mul(s).intoArray(dx, dr + j);
            for (; j < cols; j++) dx[dr + j] = probs[pr + j] * s;
            dx[dr + labels[r]] -= s;
        }
    }

    /** Scalar twin of {@link #softmaxXentBackward}. */
    public static void softmaxXentBackwardScalar(Buf probs, int po, int rows, int cols, int[] labels, Buf scale, int so, int ss,
                                                 Buf dx, int dxo) {
        for (int r = 0; r < rows; r++) {
            int pr = po + r * cols, dr = dxo + r * cols;
            double s = scale.get(so + r * ss);
            for (int j = 0; j < cols; j++) dx.set(dr + j, probs.get(pr + j) * s);
            dx.set(dr + labels[r], dx.get(dr + labels[r]) - s);
        }
    }

    // ---------------------------------------------------------------- binary cross-entropy from logits

    /**
     * Per row r of a rows × cols matrix of logits z and targets t: {@code loss[lo + r] = mean_j (max(z, 0) − z·t +
     * log1p(e^−|z|))}, the form of −(t·log σ(z) + (1 − t)·log(1 − σ(z))) that never overflows. Scalar loops in double:
     * a binary head is a few short rows (B, 1), where vectors would only box in C1 while the loss waits for C2.
     */
    public static void binaryXentLogits(float[] z, int zo, float[] t, int to, int rows, int cols, float[] loss, int lo) {
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0, i = r * cols; j < cols; j++, i++) s += bceTerm(z[zo + i], t[to + i]);
            loss[lo + r] = (float) (s / cols);
        }
    }

    /** Scalar twin of {@link #binaryXentLogits} (and its float64 form). */
    public static void binaryXentLogitsScalar(Buf z, int zo, Buf t, int to, int rows, int cols, Buf loss, int lo) {
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0, i = r * cols; j < cols; j++, i++) s += bceTerm(z.get(zo + i), t.get(to + i));
            loss.set(lo + r, s / cols);
        }
    }

    /** Per row r: {@code dz = (σ(z) − t) · scale[so + r·ss] / cols} (ss = 0 broadcasts one scale). */
    public static void binaryXentLogitsBackward(float[] z, int zo, float[] t, int to, int rows, int cols, float[] scale, int so, int ss,
                                                float[] dz, int dzo) {
        for (int r = 0; r < rows; r++) {
            double s = (double) scale[so + r * ss] / cols;
            for (int j = 0, i = r * cols; j < cols; j++, i++) dz[dzo + i] = (float) ((sigmoid(z[zo + i]) - t[to + i]) * s);
        }
    }

    /** Scalar twin of {@link #binaryXentLogitsBackward}. */
    public static void binaryXentLogitsBackwardScalar(Buf z, int zo, Buf t, int to, int rows, int cols, Buf scale, int so, int ss,
                                                      Buf dz, int dzo) {
        for (int r = 0; r < rows; r++) {
            double s = scale.get(so + r * ss) / cols;
            for (int j = 0, i = r * cols; j < cols; j++, i++) dz.set(dzo + i, (sigmoid(z.get(zo + i)) - t.get(to + i)) * s);
        }
    }

    private static double bceTerm(double z, double t) {
        return Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
    }

    /** σ(z) without overflow on either side. */
    private static double sigmoid(double z) {
        if (z >= 0) return 1 / (1 + Math.exp(-z));
        double e = Math.exp(z);
        return e / (1 + e);
    }

    // ---------------------------------------------------------------- linear-layer epilogue

    /** In place on a rows × cols matrix: {@code y_r += bias} (bias may be null) then, if {@code relu}, {@code y = max(y, 0)}. */
    public static void biasRelu(float[] y, int yo, int rows, int cols, float[] bias, int bo, boolean relu) {
        int upper = S.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int yr = yo + r * cols;
            int j = 0;
            for (; j < upper; j += S.length()) {
                FloatVector v = FloatVector.fromArray(S, y, yr + j);
                if (bias != null) v = v.add(FloatVector.fromArray(S, bias, bo + j));
                if (relu) v = v.max(0f);
                v.intoArray(y, yr + j);
            }
            for (; j < cols; j++) {
                float v = y[yr + j];
                if (bias != null) v += bias[bo + j];
                if (relu) v = Math.max(v, 0f);
                y[yr + j] = v;
            }
        }
    }

    /** Scalar twin of {@link #biasRelu}. */
    public static void biasReluScalar(Buf y, int yo, int rows, int cols, Buf bias, int bo, boolean relu) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                double v = y.get(yo + r * cols + j);
                if (bias != null) v += bias.get(bo + j);
                if (relu) v = Math.max(v, 0);
                y.set(yo + r * cols + j, v);
            }
        }
    }

    /**
     * The backward of the epilogue: {@code dz = relu ? dOut · [y > 0] : dOut} written to dz (may be null when only the
     * sums are wanted), and the column sums of dz added to {@code dBias} (may be null).
     */
    public static void reluMaskColumnSum(float[] dOut, int go, float[] y, int yo, int rows, int cols, boolean relu,
                                         float[] dz, int dzo, float[] dBias, int dbo) {
        int upper = S.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            int gr = go + r * cols, yr = yo + r * cols, zr = dzo + r * cols;
            int j = 0;
            for (; j < upper; j += S.length()) {
                FloatVector g = FloatVector.fromArray(S, dOut, gr + j);
                if (relu) g = FloatVector.zero(S).blend(g, FloatVector.fromArray(S, y, yr + j).compare(VectorOperators.GT, 0f));
                if (dz != null) g.intoArray(dz, zr + j);
                if (dBias != null) FloatVector.fromArray(S, dBias, dbo + j).add(g).intoArray(dBias, dbo + j);
            }
            for (; j < cols; j++) {
                float g = relu && !(y[yr + j] > 0f) ? 0f : dOut[gr + j];
                if (dz != null) dz[zr + j] = g;
                if (dBias != null) dBias[dbo + j] += g;
            }
        }
    }

    /** Scalar twin of {@link #reluMaskColumnSum}. */
    public static void reluMaskColumnSumScalar(Buf dOut, int go, Buf y, int yo, int rows, int cols, boolean relu,
                                               Buf dz, int dzo, Buf dBias, int dbo) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                double g = relu && !(y.get(yo + r * cols + j) > 0) ? 0 : dOut.get(go + r * cols + j);
                if (dz != null) dz.set(dzo + r * cols + j, g);
                if (dBias != null) dBias.set(dbo + j, dBias.get(dbo + j) + g);
            }
        }
    }
}
