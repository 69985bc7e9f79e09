package dev.kiln.core;

import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.FusedKernels;

/**
 * Fused losses: ops whose forward and backward are one kernel each, replacing a chain of primitives on the
 * training hot path (the composed form, {@code logSoftmax(-1).gatherAlong(-1, labels)}, records five ops and
 * makes about ten passes over the logits; this one records one and makes three forward and one backward).
 */
public final class Losses {
    private Losses() {}

    /**
     * Per-row cross-entropy of softmax(logits) against integer class labels: {@code logits} (..., C), one label
     * per row in [0, C); the result has the logits' shape without the last axis. Stable for any logits
     * (log-sum-exp after subtracting the row maximum). The labels are not differentiated.
     */
    public static Tensor sparseSoftmaxCrossEntropy(Tensor logits, int[] labels) {
        return SparseSoftmaxXent.apply(logits, labels, null, false);
    }

    /**
     * {@code Σ_r w_r · loss_r / rows}, a scalar: the mean of {@link #sparseSoftmaxCrossEntropy} weighted by
     * {@code weights} (one per row, not differentiated; null for plain mean), in one op.
     */
    public static Tensor sparseSoftmaxCrossEntropyMean(Tensor logits, int[] labels, Tensor weights) {
        return SparseSoftmaxXent.apply(logits, labels, weights, true);
    }

    /** Forward: loss per row and the softmax (saved for backward). Backward: (softmax − onehot) · dOut_r. */
    static final class SparseSoftmaxXent extends Function {
        private final Tensor probs;      // (rows, C) softmax of the logits
        private final int[] labels;
        private final double[] rowScale; // mean variant: w_r / rows (1/rows when unweighted); null for per-row
        private final int[] logitShape;

        private SparseSoftmaxXent(Tensor logits, Tensor probs, int[] labels, double[] rowScale) {
            super(logits);
            this.probs = probs;
            this.labels = labels;
            this.rowScale = rowScale;
            this.logitShape = logits.shape;
        }

        static Tensor apply(Tensor logits, int[] labels, Tensor weights, boolean mean) {
            if (logits.rank() < 1) throw new IllegalArgumentException("sparse softmax cross-entropy needs logits of rank >= 1 (..., classes), got a scalar");
            int c = logits.shape[logits.rank() - 1];
            int rows = c == 0 ? 0 : logits.size() / c;
            if (labels.length != rows) {
                throw new IllegalArgumentException("sparse softmax cross-entropy: logits of shape " + Shape.str(logits.shape) + " have " + rows
                        + " rows but " + labels.length + " labels were given; give one class id per row");
            }
            for (int r = 0; r < rows; r++) {
                if (labels[r] < 0 || labels[r] >= c) {
                    throw new IllegalArgumentException("sparse softmax cross-entropy: label " + labels[r] + " at row " + r + " is not a class id in [0, " + c + ")");
                }
            }
            double[] w = null;
            if (weights != null) {
                if (weights.size() != rows) {
                    throw new IllegalArgumentException("sparse softmax cross-entropy: " + weights.size() + " weights for " + rows + " rows; give one per row");
                }
                w = weights.toDoubleArray();
            }
            Tensor x = logits.isContiguous() ? logits : logits.detach().contiguous();
            Tensor probs = Tensor.zeros(logits.dtype, rows, c);
            Tensor perRow = Tensor.zeros(logits.dtype, rows);
            if (x.f != null) FusedKernels.softmaxXent(x.f, x.offset, rows, c, labels, probs.f, 0, perRow.f, 0);
            else FusedKernels.softmaxXentScalar(Buf.of(x.d), x.offset, rows, c, labels, Buf.of(probs.d), 0, Buf.of(perRow.d), 0);

            Tensor out;
            double[] rowScale = null;
            if (mean) {
                rowScale = new double[rows];
                double total = 0;
                for (int r = 0; r < rows; r++) {
                    rowScale[r] = (w == null ? 1.0 : w[r]) / Math.max(1, rows);
                    total += rowScale[r] * perRow.valueAt(r);
                }
                out = logits.scalarLike(total);
            } else {
                out = perRow.viewAs(java.util.Arrays.copyOf(logits.shape, logits.rank() - 1));
            }
            return Function.needsGrad(logits) ? Function.record(out, new SparseSoftmaxXent(logits, probs, labels, rowScale)) : out;
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            int rows = labels.length, c = probs.shape[1];
            Tensor dX = Tensor.zeros(probs.dtype, logitShape);   // (..., C)
            Tensor g = dOut.contiguous();
            if (probs.f != null) {
                float[] scale;
                int ss;
                if (rowScale == null) {
                    scale = g.f;
                    ss = 1;
                    FusedKernels.softmaxXentBackward(probs.f, 0, rows, c, labels, scale, g.offset, ss, dX.f, 0);
                } else {
                    float d = g.f[g.offset];
                    scale = new float[rows];
                    for (int r = 0; r < rows; r++) scale[r] = (float) (rowScale[r] * d);
                    FusedKernels.softmaxXentBackward(probs.f, 0, rows, c, labels, scale, 0, 1, dX.f, 0);
                }
            } else {
                double[] scale;
                int so;
                if (rowScale == null) {
                    scale = g.d;
                    so = g.offset;
                } else {
                    double d = g.d[g.offset];
                    scale = new double[rows];
                    for (int r = 0; r < rows; r++) scale[r] = rowScale[r] * d;
                    so = 0;
                }
                FusedKernels.softmaxXentBackwardScalar(Buf.of(probs.d), 0, rows, c, labels, Buf.of(scale), so, 1, Buf.of(dX.d), 0);
            }
            return new Tensor[] {dX};
        }
    }
}
