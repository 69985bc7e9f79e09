package dev.kiln.core;

import dev.kiln.core.kernel.BatchNormKernels;
import dev.kiln.core.kernel.Buf;

/**
 * Training-mode batch normalisation over every axis but the last (Ioffe &amp; Szegedy 2015) as one op:
 * {@code y = (x − μ)/√(σ² + ε)·γ + β} with the batch's per-channel mean μ and biased variance σ². The composed form
 * recorded nine broadcasting ops and made about twenty passes over the activation each way; this one makes two
 * forward (the moments, each block of rows summed and then squared about its own mean while in cache; normalise) and
 * two backward (the two column sums, then dx), saving only μ and 1/σ per channel. With x̂ = (x − μ)/σ and N rows:
 * {@code dβ = Σ dy}, {@code dγ = Σ dy·x̂}, {@code dx = γ/σ·(dy − dβ/N − x̂·dγ/N)}.
 *
 * <p>With {@code relu}, a ReLU after it is part of the op: {@code max(0, y)} is written instead of y, and the backward
 * takes the ReLU's output gradient, counting it where the normalised value was above zero (recomputed from x, not
 * stored). Same bits as a separate {@code relu()} (forward and every gradient), with two passes over the activation and
 * two of its arrays fewer.
 */
public final class BatchNorm extends Function {
    private Tensor x;          // contiguous (..., C); not final: the node is refilled in a training step
    private Tensor gamma;      // (C) or null
    private boolean relu;      // a ReLU follows inside the op
    private final Tensor[] grads = new Tensor[3];
    private float[] meanF, rstdF, kqsF, scaleF, shiftF;   // per channel, kept with the node
    private double[] meanD, rstdD, kqsD, scaleD, shiftD;

    private BatchNorm() {
        super(new Tensor[3]);
    }

    /**
     * y for a batch x (..., C) with per-channel gamma and beta (either may be null: no scale, no shift); the batch mean
     * and biased variance are written to {@code batchMean} and {@code batchVar} (C each) for the moving statistics.
     */
    public static Tensor train(Tensor x, Tensor gamma, Tensor beta, double epsilon, float[] batchMean, float[] batchVar) {
        return train(x, gamma, beta, epsilon, batchMean, batchVar, false);
    }

    /** {@link #train(Tensor, Tensor, Tensor, double, float[], float[])}, then max(0, ·) when {@code relu}, as one op. */
    public static Tensor train(Tensor x, Tensor gamma, Tensor beta, double epsilon, float[] batchMean, float[] batchVar, boolean relu) {
        int c = x.rank() == 0 ? 0 : x.shape[x.rank() - 1];
        int rows = c == 0 ? 0 : x.size() / c;
        if (x.rank() == 0 || !isVector(gamma, c) || !isVector(beta, c)) {
            throw new IllegalArgumentException("batch norm: needs x (..., C) with gamma and beta of shape (C), got " + Shape.str(x.shape)
                    + ", " + (gamma == null ? "none" : Shape.str(gamma.shape)) + " and " + (beta == null ? "none" : Shape.str(beta.shape)));
        }
        if ((gamma != null && gamma.dtype != x.dtype) || (beta != null && beta.dtype != x.dtype)) {
            throw new IllegalArgumentException("batch norm: dtypes differ (x " + x.dtype + "); convert with to(DType)");
        }
        if (rows == 0) throw new IllegalArgumentException("batch norm: an empty batch " + Shape.str(x.shape) + " has no statistics");
        if (batchMean.length < c || batchVar.length < c) throw new IllegalArgumentException("batch norm: statistics arrays shorter than " + c);
        Tensor xc = Movement.dense(x);
        BatchNorm node = null;
        Tensor y = Tensor.uninitialized(x.dtype, x.shape);
        if (Function.needsGrad(x, gamma, beta)) {
            node = y.spareNode(BatchNorm.class, BatchNorm::new);
        }
        if (xc.f != null) {
            float[] mean = node != null ? node.meanF = grow(node.meanF, c) : new float[c];
            float[] rstd = node != null ? node.rstdF = grow(node.rstdF, c) : new float[c];
            float[] scale = node != null ? node.scaleF = grow(node.scaleF, c) : new float[c];
            float[] shift = node != null ? node.shiftF = grow(node.shiftF, c) : new float[c];
            BatchNormKernels.moments(xc.f, xc.offset, rows, c, mean, batchVar);
            System.arraycopy(mean, 0, batchMean, 0, c);
            for (int j = 0; j < c; j++) {
                rstd[j] = (float) (1 / Math.sqrt(batchVar[j] + epsilon));
                scale[j] = gamma == null ? rstd[j] : gamma.f[gamma.offset + j * gamma.strides[0]] * rstd[j];
                shift[j] = beta == null ? 0f : beta.f[beta.offset + j * beta.strides[0]];
            }
            BatchNormKernels.normalize(xc.f, xc.offset, rows, c, mean, scale, shift, relu, y.f, 0);
        } else {
            double[] mean = node != null ? node.meanD = grow(node.meanD, c) : new double[c];
            double[] rstd = node != null ? node.rstdD = grow(node.rstdD, c) : new double[c];
            double[] scale = node != null ? node.scaleD = grow(node.scaleD, c) : new double[c];
            double[] shift = node != null ? node.shiftD = grow(node.shiftD, c) : new double[c];
            double[] var = new double[c];
            BatchNormKernels.momentsScalar(Buf.of(xc.d), xc.offset, rows, c, Buf.of(mean), Buf.of(var));
            for (int j = 0; j < c; j++) {
                batchMean[j] = (float) mean[j];
                batchVar[j] = (float) var[j];
                rstd[j] = 1 / Math.sqrt(var[j] + epsilon);
                scale[j] = gamma == null ? rstd[j] : gamma.d[gamma.offset + j * gamma.strides[0]] * rstd[j];
                shift[j] = beta == null ? 0 : beta.d[beta.offset + j * beta.strides[0]];
            }
            BatchNormKernels.normalizeScalar(Buf.of(xc.d), xc.offset, rows, c, Buf.of(mean), Buf.of(scale), Buf.of(shift), relu, Buf.of(y.d), 0);
        }
        if (node == null) return y;
        node.inputs[0] = x;
        node.inputs[1] = gamma;
        node.inputs[2] = beta;
        node.x = xc;
        node.gamma = gamma;
        node.relu = relu;
        return Function.record(y, node);
    }

    /**
     * Inference-mode batch normalisation with given statistics (the moving mean and variance, float32 (C)):
     * {@code y = (x − mean)·γ/√(var + ε) + β}, gamma and beta optional. One pass over x when nothing needs a gradient
     * (prediction); composed from primitive ops otherwise (a saliency map through a frozen BatchNormalization, or
     * fine-tuning gamma and beta with the statistics fixed), so autodiff gives the exact gradient.
     */
    public static Tensor inference(Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor var, double epsilon) {
        return inference(x, gamma, beta, mean, var, epsilon, false);
    }

    /** {@link #inference(Tensor, Tensor, Tensor, Tensor, Tensor, double)}, then max(0, ·) when {@code relu}; one pass in prediction. */
    public static Tensor inference(Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor var, double epsilon, boolean relu) {
        int c = x.rank() == 0 ? 0 : x.shape[x.rank() - 1];
        if (x.rank() == 0 || !isVector(gamma, c) || !isVector(beta, c) || !isVector(mean, c) || !isVector(var, c)) {
            throw new IllegalArgumentException("batch norm: needs x (..., C) with gamma, beta, mean and variance of shape (C), got "
                    + Shape.str(x.shape) + ", " + (gamma == null ? "none" : Shape.str(gamma.shape)) + ", " + (beta == null ? "none" : Shape.str(beta.shape))
                    + ", " + Shape.str(mean.shape) + " and " + Shape.str(var.shape));
        }
        float eps = (float) epsilon;
        if (Function.needsGrad(x, gamma, beta) || x.f == null || mean.f == null || var.f == null || (gamma != null && gamma.f == null)
                || (beta != null && beta.f == null)) {
            Tensor inv = var.add(eps).sqrt().to(x.dtype);
            Tensor s = gamma != null ? gamma.div(inv) : inv.pow(-1f);
            Tensor t = mean.to(x.dtype).mul(s).neg();
            if (beta != null) t = t.add(beta);
            Tensor y = x.mul(s).add(t);                                   // (B, ..., C)·(C) + (C)
            return relu ? y.relu() : y;
        }
        // Per channel s = γ/√(var + ε), then y = (x − mean)·s + β in one pass (centring first, as the training form does).
        Tensor xc = Movement.dense(x);
        Tensor y = Tensor.uninitialized(x.dtype, x.shape);
        PerChannel pc = PerChannel.LOCAL.get().of(c);
        for (int j = 0; j < c; j++) {
            float inv = (float) Math.sqrt(var.f[var.offset + j * var.strides[0]] + eps);
            pc.mean[j] = mean.f[mean.offset + j * mean.strides[0]];
            pc.scale[j] = gamma != null ? gamma.f[gamma.offset + j * gamma.strides[0]] / inv : 1f / inv;
            pc.shift[j] = beta != null ? beta.f[beta.offset + j * beta.strides[0]] : 0f;
        }
        BatchNormKernels.normalize(xc.f, xc.offset, x.size() / Math.max(1, c), c, pc.mean, pc.scale, pc.shift, relu, y.f, 0);
        return y;
    }

    /** The calling thread's per-channel mean, scale and shift for {@link #inference}, kept so prediction allocates none. */
    private static final class PerChannel {
        static final ThreadLocal<PerChannel> LOCAL = ThreadLocal.withInitial(PerChannel::new);
        float[] mean = new float[0], scale = new float[0], shift = new float[0];

        PerChannel of(int c) {
            if (mean.length != c) {
                mean = new float[c];
                scale = new float[c];
                shift = new float[c];
            }
            return this;
        }
    }

    /** Null (not given) or of shape (c). */
    private static boolean isVector(Tensor t, int c) {
        return t == null || (t.rank() == 1 && t.shape[0] == c);
    }

    private static float[] grow(float[] a, int n) {
        return a != null && a.length == n ? a : new float[n];
    }

    private static double[] grow(double[] a, int n) {
        return a != null && a.length == n ? a : new double[n];
    }

    @Override
    protected Tensor[] backward(Tensor dOut) {
        Tensor g = dOut.contiguous();
        int c = x.shape[x.rank() - 1], rows = x.size() / c;
        // dγ = Σ dy·x̂ and dβ = Σ dy are needed for dx whether or not gamma and beta want them.
        Tensor dGamma = Tensor.uninitialized(x.dtype, c), dBeta = Tensor.uninitialized(x.dtype, c);
        Tensor dX = wants(0) ? Tensor.uninitialized(x.dtype, x.shape) : null;
        if (g.f != null) {
            float[] reluScale = relu ? scaleF : null, reluShift = relu ? shiftF : null;
            BatchNormKernels.backwardSums(x.f, x.offset, g.f, g.offset, rows, c, meanF, rstdF, reluScale, reluShift, dBeta.f, dGamma.f);
            if (dX != null) {
                float[] kqs = kqsF = kqsF != null && kqsF.length == 3 * c ? kqsF : new float[3 * c];
                for (int j = 0; j < c; j++) {
                    float k = gamma == null ? rstdF[j] : gamma.f[gamma.offset + j * gamma.strides[0]] * rstdF[j];
                    kqs[j] = k;
                    kqs[c + j] = -k * dGamma.f[j] / rows;
                    kqs[2 * c + j] = -k * dBeta.f[j] / rows;
                }
                BatchNormKernels.backwardInput(x.f, x.offset, g.f, g.offset, rows, c, meanF, rstdF, reluScale, reluShift, kqs, dX.f, 0);
            }
        } else {
            Buf reluScale = relu ? Buf.of(scaleD) : null, reluShift = relu ? Buf.of(shiftD) : null;
            BatchNormKernels.backwardSumsScalar(Buf.of(x.d), x.offset, Buf.of(g.d), g.offset, rows, c, Buf.of(meanD), Buf.of(rstdD),
                    reluScale, reluShift, Buf.of(dBeta.d), Buf.of(dGamma.d));
            if (dX != null) {
                double[] kqs = kqsD = kqsD != null && kqsD.length == 3 * c ? kqsD : new double[3 * c];
                for (int j = 0; j < c; j++) {
                    double k = gamma == null ? rstdD[j] : gamma.d[gamma.offset + j * gamma.strides[0]] * rstdD[j];
                    kqs[j] = k;
                    kqs[c + j] = -k * dGamma.d[j] / rows;
                    kqs[2 * c + j] = -k * dBeta.d[j] / rows;
                }
                BatchNormKernels.backwardInputScalar(Buf.of(x.d), x.offset, Buf.of(g.d), g.offset, rows, c, Buf.of(meanD), Buf.of(rstdD),
                        reluScale, reluShift, Buf.of(kqs), Buf.of(dX.d), 0);
            }
        }
        grads[0] = dX;
        grads[1] = wants(1) ? dGamma : null;
        grads[2] = wants(2) ? dBeta : null;
        return grads;
    }
}
