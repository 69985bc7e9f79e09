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
     * A fused loss node reduced by {@link #weightedMean}: the row scales kept for backward and the upstream gradient
     * spread back over the rows, in arrays kept with the node (refilled from step to step, not made anew).
     */
    private abstract static class BatchMean extends Function {
        double[] rowScale;   // weighted mean: w_r / rows; null otherwise
        double meanScale;    // plain mean: 1 / rows (one number, not an array per step); 0 otherwise
        private double[] rowScaleArray = new double[0];
        private float[] rowGrad = new float[0];
        private final float[] meanGrad = new float[1];

        BatchMean() {
            super(new Tensor[1]);
        }

        /** This node's array for {@code rows} row scales (reused while the batch size stays the same). */
        double[] rowScale(int rows) {
            if (rowScaleArray.length != rows) rowScaleArray = new double[rows];
            return rowScaleArray;
        }

        /** d(mean)/d(row r) times the upstream gradient g: one number for the plain mean (read with stride 0), else one a row. */
        float[] rowGrads(double g, int rows) {
            if (rowScale == null) {
                meanGrad[0] = (float) (meanScale * g);
                return meanGrad;
            }
            if (rowGrad.length != rows) rowGrad = new float[rows];
            for (int r = 0; r < rows; r++) rowGrad[r] = (float) (rowScale[r] * g);
            return rowGrad;
        }

        /** {@link #rowGrads} in float64 (gradient checks), a new array. */
        double[] rowGrads64(double g, int rows) {
            if (rowScale == null) return new double[] {meanScale * g};
            double[] out = new double[rows];
            for (int r = 0; r < rows; r++) out[r] = rowScale[r] * g;
            return out;
        }

        /** The stride to read {@link #rowGrads} with. */
        int rowGradStride() {
            return rowScale == null ? 0 : 1;
        }
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
    static final class BinaryXentLogits extends BatchMean {
        // Not final: a training step refills the node its recycled output carried last step (see Tensor#spareNode).
        private Tensor z, t;          // dense logits and targets
        private int rows, cols;
        private final Tensor[] grads = new Tensor[1];

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
                node = out.spareNode(BinaryXentLogits.class, BinaryXentLogits::new);
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

        @Override
        protected Tensor[] backward(Tensor dOut) {
            Tensor dZ = Tensor.uninitializedCopying(z.dtype, inputs[0].shape);
            double g = dOut.valueAt(dOut.offset);
            if (z.f != null) {
                FusedKernels.binaryXentLogitsBackward(z.f, z.offset, t.f, t.offset, rows, cols, rowGrads(g, rows), 0, rowGradStride(),
                        dZ.f, 0);
            } else {
                FusedKernels.binaryXentLogitsBackwardScalar(Buf.of(z.d), z.offset, Buf.of(t.d), t.offset, rows, cols,
                        Buf.of(rowGrads64(g, rows)), 0, rowGradStride(), Buf.of(dZ.d), 0);
            }
            grads[0] = dZ;
            return grads;
        }
    }

    /** Forward: loss per row and the softmax (saved for backward). Backward: (softmax − onehot) · dOut_r. */
    static final class SparseSoftmaxXent extends BatchMean {
        // Not final: a training step refills the node its recycled output carried last step (see Tensor#spareNode).
        // rowScale and meanScale both unset: per-row losses, not their mean.
        private Tensor probs;      // (rows, C) softmax of the logits
        private int[] labels;
        private int[] logitShape;
        private final Tensor[] grads = new Tensor[1];

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
                    node = out.spareNode(SparseSoftmaxXent.class, SparseSoftmaxXent::new);
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
            if (node == null) node = out.spareNode(SparseSoftmaxXent.class, SparseSoftmaxXent::new);
            return Function.record(out, node.set(logits, probs, labels, rowScale, meanScale));
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            int rows = labels.length, c = probs.shape[1];
            Tensor dX = Tensor.uninitialized(probs.dtype, logitShape);   // (..., C), every element written
            Tensor g = dOut.contiguous();
            boolean perRow = rowScale == null && meanScale == 0;   // dOut holds one gradient a row
            if (probs.f != null) {
                if (perRow) FusedKernels.softmaxXentBackward(probs.f, 0, rows, c, labels, g.f, g.offset, 1, dX.f, 0);
                else FusedKernels.softmaxXentBackward(probs.f, 0, rows, c, labels, rowGrads(g.f[g.offset], rows), 0, rowGradStride(), dX.f, 0);
            } else {
                Buf scale = perRow ? Buf.of(g.d) : Buf.of(rowGrads64(g.d[g.offset], rows));
                FusedKernels.softmaxXentBackwardScalar(Buf.of(probs.d), 0, rows, c, labels, scale, perRow ? g.offset : 0,
                        perRow ? 1 : rowGradStride(), Buf.of(dX.d), 0);
            }
            grads[0] = dX;
            return grads;
        }
    }
}
