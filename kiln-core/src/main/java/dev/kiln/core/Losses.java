package dev.kiln.core;

import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.FusedKernels;

/**
 * Fused losses: ops whose forward and backward are one kernel each, replacing a chain of primitives on the
 * training hot path (the composed form, {@code logSoftmax(-1).gatherAlong(-1, labels)}, records five ops and
 * makes about ten passes over the logits; this one records one and makes three forward and one backward).
 */
public final class Losses {
    private static final int[] SCALAR = {};

    private Losses() {}

    /**
     * Per-row cross-entropy of softmax(logits) against integer class labels: {@code logits} (..., C), one label
     * per row in [0, C); the result has the logits' shape without the last axis. Stable for any logits
     * (log-sum-exp after subtracting the row maximum). The labels are not differentiated, and copied where kept
     * for backward, so the caller may reuse its array once this returns.
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

    /**
     * A batch loss as Keras reduces it: {@code Σ_r s_r · perRow_r} with {@code s_r = w_r / rows}, or {@code 1 / rows}
     * without weights; {@code rowScale} (when given) receives each s_r for the backward.
     */
    private static double weightedMean(Tensor perRow, int rows, Tensor w, double[] rowScale) {
        double total = 0;
        for (int r = 0; r < rows; r++) {
            double scale = (w == null ? 1.0 : w.valueAt(w.offset + r)) / Math.max(1, rows);
            if (rowScale != null) rowScale[r] = scale;
            total += scale * perRow.valueAt(r);
        }
        return total;
    }

    /**
     * Keras's {@code binary_crossentropy(from_logits=True)} averaged over the batch, a scalar, in one op: per sample the
     * mean over its features of {@code max(z, 0) − z·t + log(1 + e^−|z|)}, then {@code Σ_r w_r · loss_r / rows}.
     * {@code logits} are (B,) or (B, F), {@code targets} the same shape (not differentiated), {@code weights} one per
     * sample (not differentiated) or null. Composed from primitives it recorded ten ops and summed three gradients.
     */
    public static Tensor binaryCrossEntropyWithLogitsMean(Tensor logits, Tensor targets, Tensor weights) {
        return BinaryXentLogits.apply(logits, targets, weights);
    }

    /** Forward: the per-row means and their (weighted) mean. Backward: (σ(z) − t) · w_r / (rows · cols) · dOut. */
    static final class BinaryXentLogits extends Function {
        // Not final: a training step refills the node its recycled output carried last step (see Tensor#spareNode).
        private Tensor z, t;          // dense logits and targets
        private int rows, cols;
        private double[] rowScale;    // w_r / rows (weighted); null for the plain mean
        private double meanScale;     // 1 / rows for the plain mean
        private double[] rowScaleArray = new double[0];
        private float[] rowGrad = new float[0];
        private final float[] meanGrad = new float[1];
        private final Tensor[] grads = new Tensor[1];

        private BinaryXentLogits() {
            super(new Tensor[1]);
        }

        static Tensor apply(Tensor logits, Tensor targets, Tensor weights) {
            if (logits.rank() < 1 || logits.rank() > 2) {
                throw new IllegalArgumentException("binary cross-entropy from logits: logits of shape " + Shape.str(logits.shape)
                        + " must be (batch,) or (batch, features)");
            }
            if (!Shape.equal(logits.shape, targets.shape)) {
                throw new IllegalArgumentException("binary cross-entropy from logits: logits have shape " + Shape.str(logits.shape)
                        + " but targets have " + Shape.str(targets.shape) + "; they must match");
            }
            int rows = logits.shape[0], cols = logits.rank() == 2 ? logits.shape[1] : 1;
            if (weights != null && weights.size() != rows) {
                throw new IllegalArgumentException("binary cross-entropy from logits: " + weights.size() + " weights for " + rows
                        + " samples; give one per sample");
            }
            Tensor z = Movement.dense(logits), t = Movement.dense(targets.dtype == logits.dtype ? targets : targets.to(logits.dtype));
            Tensor w = weights == null ? null : Movement.dense(weights);
            Tensor perRow = Tensor.fresh(logits.dtype, rows);
            if (z.f != null) FusedKernels.binaryXentLogits(z.f, z.offset, t.f, t.offset, rows, cols, perRow.f, 0);
            else FusedKernels.binaryXentLogitsScalar(Buf.of(z.d), z.offset, Buf.of(t.d), t.offset, rows, cols, Buf.of(perRow.d), 0);

            Tensor out = Tensor.uninitialized(logits.dtype, SCALAR);
            BinaryXentLogits node = null;
            if (Function.needsGrad(logits)) {
                node = out.spareNode(BinaryXentLogits.class);
                if (node == null) node = new BinaryXentLogits();
            }
            double meanScale = w == null ? 1.0 / Math.max(1, rows) : 0;
            double[] rowScale = w != null && node != null ? node.rowScale(rows) : null;
            out.set(0, weightedMean(perRow, rows, w, rowScale));
            if (node == null) return out;
            node.inputs[0] = logits;
            node.z = z;
            node.t = t;
            node.rows = rows;
            node.cols = cols;
            node.rowScale = rowScale;
            node.meanScale = meanScale;
            return Function.record(out, node);
        }

        private double[] rowScale(int rows) {
            if (rowScaleArray.length != rows) rowScaleArray = new double[rows];
            return rowScaleArray;
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            Tensor dZ = Tensor.uninitializedCopying(z.dtype, inputs[0].shape);
            double g = dOut.valueAt(dOut.offset);
            if (z.f != null) {
                if (rowScale == null) {
                    meanGrad[0] = (float) (meanScale * g);
                    FusedKernels.binaryXentLogitsBackward(z.f, z.offset, t.f, t.offset, rows, cols, meanGrad, 0, 0, dZ.f, 0);
                } else {
                    if (rowGrad.length != rows) rowGrad = new float[rows];
                    for (int r = 0; r < rows; r++) rowGrad[r] = (float) (rowScale[r] * g);
                    FusedKernels.binaryXentLogitsBackward(z.f, z.offset, t.f, t.offset, rows, cols, rowGrad, 0, 1, dZ.f, 0);
                }
            } else {
                double[] scale = new double[rowScale == null ? 1 : rows];
                if (rowScale == null) scale[0] = meanScale * g;
                else for (int r = 0; r < rows; r++) scale[r] = rowScale[r] * g;
                FusedKernels.binaryXentLogitsBackwardScalar(Buf.of(z.d), z.offset, Buf.of(t.d), t.offset, rows, cols, Buf.of(scale), 0,
                        rowScale == null ? 0 : 1, Buf.of(dZ.d), 0);
            }
            grads[0] = dZ;
            return grads;
        }
    }

    /** Forward: loss per row and the softmax (saved for backward). Backward: (softmax − onehot) · dOut_r. */
    static final class SparseSoftmaxXent extends Function {
        // Not final: a training step refills the node its recycled output carried last step (see Tensor#spareNode).
        private Tensor probs;      // (rows, C) softmax of the logits
        private int[] labels;
        private double[] rowScale; // weighted mean: w_r / rows; null otherwise
        private double meanScale;  // unweighted mean: 1 / rows (one number, not an array per step); 0 otherwise
        private int[] logitShape;
        private final float[] meanGrad = new float[1];   // the mean's upstream gradient times 1 / rows, for backward
        private final Tensor[] grads = new Tensor[1];
        private double[] rowScaleArray = new double[0];   // rowScale's storage, kept with the node
        private float[] rowGrad = new float[0];           // backward's per-row scale (weighted mean), kept with the node

        /** This node's array for {@code rows} row scales (reused while the batch size stays the same). */
        private double[] rowScale(int rows) {
            if (rowScaleArray.length != rows) rowScaleArray = new double[rows];
            return rowScaleArray;
        }

        private SparseSoftmaxXent() {
            super(new Tensor[1]);
        }

        private SparseSoftmaxXent set(Tensor logits, Tensor probs, int[] labels, double[] rowScale, double meanScale) {
            inputs[0] = logits;
            this.probs = probs;
            // Copied into the node's own array (kept across steps with the refilled node): callers may reuse theirs.
            if (this.labels == null || this.labels.length != labels.length) this.labels = labels.clone();
            else System.arraycopy(labels, 0, this.labels, 0, labels.length);
            this.rowScale = rowScale;
            this.meanScale = meanScale;
            this.logitShape = logits.shape;
            return this;
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
            Tensor w = null;   // read in place (a copy only when strided)
            if (weights != null) {
                if (weights.size() != rows) {
                    throw new IllegalArgumentException("sparse softmax cross-entropy: " + weights.size() + " weights for " + rows + " rows; give one per row");
                }
                w = Movement.dense(weights);
            }
            Tensor x = Movement.dense(logits);
            Tensor probs = Tensor.fresh(logits.dtype, rows, c);
            Tensor perRow = Tensor.fresh(logits.dtype, rows);
            if (x.f != null) FusedKernels.softmaxXent(x.f, x.offset, rows, c, labels, probs.f, 0, perRow.f, 0);
            else FusedKernels.softmaxXentScalar(Buf.of(x.d), x.offset, rows, c, labels, Buf.of(probs.d), 0, Buf.of(perRow.d), 0);

            Tensor out;
            SparseSoftmaxXent node = null;
            double[] rowScale = null;
            double meanScale = 0;
            if (mean) {
                out = Tensor.uninitialized(logits.dtype, SCALAR);   // from the step's arena in training
                if (Function.needsGrad(logits)) {
                    node = out.spareNode(SparseSoftmaxXent.class);
                    if (node == null) node = new SparseSoftmaxXent();
                }
                if (w == null) meanScale = 1.0 / Math.max(1, rows);
                else if (node != null) rowScale = node.rowScale(rows);   // the node's own array, reused from step to step
                out.set(0, weightedMean(perRow, rows, w, rowScale));
            } else {
                int[] shape = ShapeScratch.of(ShapeScratch.LOSS, logits.rank() - 1);   // the arena copies it if it makes a view
                System.arraycopy(logits.shape, 0, shape, 0, shape.length);
                out = StepArena.view(perRow, shape, false);
            }
            if (!Function.needsGrad(logits)) return out;
            if (node == null) node = out.spareNode(SparseSoftmaxXent.class);
            return Function.record(out, (node != null ? node : new SparseSoftmaxXent()).set(logits, probs, labels, rowScale, meanScale));
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            int rows = labels.length, c = probs.shape[1];
            Tensor dX = Tensor.uninitialized(probs.dtype, logitShape);   // (..., C), every element written
            Tensor g = dOut.contiguous();
            if (probs.f != null) {
                float[] scale;
                int ss;
                if (rowScale == null && meanScale == 0) {
                    scale = g.f;
                    ss = 1;
                    FusedKernels.softmaxXentBackward(probs.f, 0, rows, c, labels, scale, g.offset, ss, dX.f, 0);
                } else if (rowScale == null) {
                    // The same scale for every row: a stride of 0 over one number.
                    meanGrad[0] = (float) (meanScale * g.f[g.offset]);
                    FusedKernels.softmaxXentBackward(probs.f, 0, rows, c, labels, meanGrad, 0, 0, dX.f, 0);
                } else {
                    float d = g.f[g.offset];
                    if (rowGrad.length != rows) rowGrad = new float[rows];
                    scale = rowGrad;
                    for (int r = 0; r < rows; r++) scale[r] = (float) (rowScale[r] * d);
                    FusedKernels.softmaxXentBackward(probs.f, 0, rows, c, labels, scale, 0, 1, dX.f, 0);
                }
            } else {
                double[] scale;
                int so;
                int ss = 1;
                if (rowScale == null && meanScale == 0) {
                    scale = g.d;
                    so = g.offset;
                } else if (rowScale == null) {
                    scale = new double[] {meanScale * g.d[g.offset]};
                    so = 0;
                    ss = 0;
                } else {
                    double d = g.d[g.offset];
                    scale = new double[rows];
                    for (int r = 0; r < rows; r++) scale[r] = rowScale[r] * d;
                    so = 0;
                }
                FusedKernels.softmaxXentBackwardScalar(Buf.of(probs.d), 0, rows, c, labels, Buf.of(scale), so, ss, Buf.of(dX.d), 0);
            }
            grads[0] = dX;
            return grads;
        }
    }
}
