package dev.kiln.nn.losses;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.kiln.core.Losses;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;

/**
 * Loss functions by their Keras names. Each computes per-sample losses (B,) from predictions (B, ...) and
 * targets; {@link #compute} averages them, optionally weighting samples (class weights), as Keras's
 * "sum over batch size" reduction does. Sparse losses take integer class ids stored in a float tensor (B,).
 *
 * <p>The {@code fromLogits} variants fold the softmax/sigmoid into the loss with log-sum-exp, which is
 * stable for any logits; the probability variants clip to [1e-7, 1 - 1e-7] like Keras. As in Keras, a
 * probability cross-entropy whose predictions a softmax (last axis) or sigmoid has just made reads their logits
 * instead ({@link Tensor#softmaxLogits}, {@link Tensor#sigmoidLogits}) and computes the from-logits loss: exact where
 * clipping would cap it, and for sparse labels one fused op instead of eight.
 */
public enum Loss {
    MEAN_SQUARED_ERROR, MEAN_ABSOLUTE_ERROR,
    BINARY_CROSSENTROPY, BINARY_CROSSENTROPY_FROM_LOGITS,
    CATEGORICAL_CROSSENTROPY, CATEGORICAL_CROSSENTROPY_FROM_LOGITS,
    SPARSE_CATEGORICAL_CROSSENTROPY, SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS;

    private static final float EPS = 1e-7f;

    /** Mean (optionally sample-weighted) loss over the batch, a scalar. {@code sampleWeights} may be null. */
    public Tensor compute(Tensor predictions, Tensor targets, Tensor sampleWeights) {
        Tensor logits = logitsOf(predictions);
        if (logits != null) {
            if (isSparse()) return fromLogitsForm().compute(logits, classIds(predictions, targets, SCRATCH_IDS.get()), sampleWeights);
            sameShape(predictions, targets);   // checked under this loss's name
            return fromLogitsForm().compute(logits, targets, sampleWeights);
        }
        if (this == SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS && predictions.rank() == 2
                && (sampleWeights == null || (sampleWeights.size() == predictions.shape(0) && !sampleWeights.requiresGrad()))) {
            // One fused op (forward and backward one kernel each) instead of log-softmax, gather, multiply and mean.
            return Losses.sparseSoftmaxCrossEntropyMean(predictions, classIds(predictions, targets), sampleWeights);
        }
        if (this == BINARY_CROSSENTROPY_FROM_LOGITS && (predictions.rank() == 1 || predictions.rank() == 2) && !targets.requiresGrad()
                && (sampleWeights == null || (sampleWeights.size() == predictions.shape(0) && !sampleWeights.requiresGrad()))) {
            sameShape(predictions, targets);   // the message names this loss
            return Losses.binaryCrossEntropyWithLogitsMean(predictions, targets, sampleWeights);   // one op instead of ten
        }
        Tensor perSample = perSample(predictions, targets);
        if (sampleWeights == null) return perSample.mean();
        return perSample.mul(sampleWeights).mean();
    }

    public Tensor compute(Tensor predictions, Tensor targets) {
        return compute(predictions, targets, null);
    }

    /**
     * {@link #compute} of a sparse loss from integer class ids (the training loop's labels, one per row), without
     * the float target tensor and its conversion back where the fused cross-entropy takes the ids as they are.
     * The ids are copied where kept for backward, so the caller may reuse its array once this returns.
     */
    public Tensor compute(Tensor predictions, int[] classIds, Tensor sampleWeights) {
        if (!isSparse()) throw new IllegalArgumentException(keras() + " takes target tensors, not class ids; only sparse losses take ids");
        Tensor logits = logitsOf(predictions);
        if (logits != null && classIds.length * predictions.shape(-1) == predictions.size()) {
            checkIds(classIds, predictions.shape(-1));   // named as the caller's loss
            return fromLogitsForm().compute(logits, classIds, sampleWeights);
        }
        if (this == SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS && predictions.rank() == 2 && classIds.length == predictions.shape(0)
                && (sampleWeights == null || (sampleWeights.size() == predictions.shape(0) && !sampleWeights.requiresGrad()))) {
            checkIds(classIds, predictions.shape(-1));
            return Losses.sparseSoftmaxCrossEntropyMean(predictions, classIds, sampleWeights);
        }
        if (this == SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS && predictions.rank() > 2 && classIds.length * predictions.shape(-1) == predictions.size()) {
            checkIds(classIds, predictions.shape(-1));
            int b = predictions.shape(0);
            Tensor perRow = Losses.sparseSoftmaxCrossEntropy(predictions, classIds);   // (B, T): a mean over positions per sample
            Tensor perSample = perRow.reshape(b, perRow.size() / Math.max(1, b)).mean(1, false);
            return sampleWeights == null ? perSample.mean() : perSample.mul(sampleWeights).mean();
        }
        if (this == SPARSE_CATEGORICAL_CROSSENTROPY && predictions.rank() >= 2 && classIds.length * predictions.shape(-1) == predictions.size()) {
            checkIds(classIds, predictions.shape(-1));
            Tensor perSample = sparseFromProbabilities(predictions, classIds);   // the ids as they are: no target tensor
            return sampleWeights == null ? perSample.mean() : perSample.mul(sampleWeights).mean();
        }
        float[] t = new float[classIds.length];
        for (int i = 0; i < t.length; i++) t[i] = classIds[i];
        return compute(predictions, Tensor.of(t, t.length), sampleWeights);
    }

    /**
     * Keras's sparse cross-entropy on probabilities, per sample: the rows renormalised to sum to one, clipped to
     * [ε, 1 − ε], and −log of each true class (a mean over positions for a sequence's (B, T, C)). The gather copies
     * the ids it keeps, so they may be this thread's reused array.
     */
    private static Tensor sparseFromProbabilities(Tensor pred, int[] ids) {
        Tensor p = clip(pred.div(pred.sum(-1, true)));
        int b = pred.shape(0);
        return p.log().gatherAlong(-1, ids).reshape(b, ids.length / Math.max(1, b)).mean(1, false).neg();   // known width: no -1 array
    }

    /** Loss of each sample, shape (B,). */
    public Tensor perSample(Tensor pred, Tensor target) {
        Tensor logits = logitsOf(pred);
        if (logits != null) {
            // the shapes and ids checked under this loss's name, then the same targets against the logits
            if (isSparse()) classIds(pred, target, SCRATCH_IDS.get());
            else sameShape(pred, target);
            return fromLogitsForm().perSample(logits, target);
        }
        int b = pred.shape(0);
        return switch (this) {
            case MEAN_SQUARED_ERROR -> meanOverFeatures(sameShape(pred, target).sub(target).square());
            case MEAN_ABSOLUTE_ERROR -> meanOverFeatures(sameShape(pred, target).sub(target).abs());
            case BINARY_CROSSENTROPY -> {
                Tensor p = clip(sameShape(pred, target));
                // -(t·log p + (1-t)·log(1-p))
                yield meanOverFeatures(target.mul(p.log()).add(target.neg().add(1f).mul(p.neg().add(1f).log())).neg());
            }
            case BINARY_CROSSENTROPY_FROM_LOGITS -> {
                Tensor z = sameShape(pred, target);
                // max(z,0) - z·t + log(1 + e^-|z|): never overflows
                Tensor zero = z.scalarLike(0);
                yield meanOverFeatures(z.maximum(zero).sub(z.mul(target)).add(z.abs().neg().exp().add(1f).log()));
            }
            case CATEGORICAL_CROSSENTROPY -> {
                Tensor p = sameShape(pred, target);
                p = clip(p.div(p.sum(-1, true)));
                yield target.mul(p.log()).sum(-1, false).neg();
            }
            case CATEGORICAL_CROSSENTROPY_FROM_LOGITS -> target.mul(sameShape(pred, target).logSoftmax(-1)).sum(-1, false).neg();
            case SPARSE_CATEGORICAL_CROSSENTROPY -> sparseFromProbabilities(pred, classIds(pred, target, SCRATCH_IDS.get()));
            case SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS -> {
                // The op copies the ids it keeps, so they can go in this thread's reused array (16 KB a GPT step).
                Tensor perRow = Losses.sparseSoftmaxCrossEntropy(pred, classIds(pred, target, SCRATCH_IDS.get()));
                yield pred.rank() == 2 ? perRow : perRow.reshape(b, perRow.size() / Math.max(1, b)).mean(1, false);   // known width: no -1 array
            }
        };
    }

    /** Whether predictions are class scores compared against class ids or one-hot targets (accuracy makes sense). */
    public boolean isClassification() {
        return this != MEAN_SQUARED_ERROR && this != MEAN_ABSOLUTE_ERROR;
    }

    public boolean isSparse() {
        return this == SPARSE_CATEGORICAL_CROSSENTROPY || this == SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS;
    }

    public boolean isBinary() {
        return this == BINARY_CROSSENTROPY || this == BINARY_CROSSENTROPY_FROM_LOGITS;
    }

    public boolean fromLogits() {
        return name().endsWith("FROM_LOGITS");
    }

    /**
     * The logits behind {@code pred} when this is a cross-entropy on probabilities and a softmax along the last axis
     * (categorical losses) or a sigmoid (binary) made them, else null: Keras's rule for {@code from_logits=False}.
     */
    private Tensor logitsOf(Tensor pred) {
        Tensor z = switch (this) {
            case SPARSE_CATEGORICAL_CROSSENTROPY, CATEGORICAL_CROSSENTROPY -> pred.softmaxLogits();
            case BINARY_CROSSENTROPY -> pred.sigmoidLogits();
            default -> null;
        };
        return z != null && z.sameShape(pred) ? z : null;
    }

    /** The same loss on logits (this loss must be a probability cross-entropy). */
    private Loss fromLogitsForm() {
        return switch (this) {
            case SPARSE_CATEGORICAL_CROSSENTROPY -> SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS;
            case CATEGORICAL_CROSSENTROPY -> CATEGORICAL_CROSSENTROPY_FROM_LOGITS;
            case BINARY_CROSSENTROPY -> BINARY_CROSSENTROPY_FROM_LOGITS;
            default -> throw new IllegalStateException(keras() + " has no from-logits form");
        };
    }

    private void checkIds(int[] classIds, int classes) {
        for (int i = 0; i < classIds.length; i++) {
            if (classIds[i] < 0 || classIds[i] >= classes) throw notAClassId(classIds[i], i, classes);
        }
    }

    private static Tensor meanOverFeatures(Tensor t) {
        if (t.rank() == 1) return t;
        // (B, 1): the mean over one feature is the feature, so a view instead of a reshape, a sum and a divide
        if (t.rank() == 2) return t.shape(1) == 1 ? t.reshape(t.shape(0)) : t.mean(1, false);
        return t.reshape(t.shape(0), -1).mean(1, false);
    }

    private static Tensor clip(Tensor p) {
        return p.maximum(p.scalarLike(EPS)).minimum(p.scalarLike(1 - EPS));
    }

    private Tensor sameShape(Tensor pred, Tensor target) {
        if (!pred.sameShape(target)) {
            throw new IllegalArgumentException(keras() + ": predictions have shape " + Shape.str(pred.shape()) + " but targets have "
                    + Shape.str(target.shape()) + "; they must match"
                    + (isClassification() && target.rank() == 1 ? " (for integer class labels use sparse_categorical_crossentropy)" : ""));
        }
        return pred;
    }

    private int[] classIds(Tensor pred, Tensor target) {
        return classIds(pred, target, null);
    }

    /** Per-thread class ids for ops that copy what they keep; at most {@link #SCRATCH_IDS_KEEP} are kept. */
    private static final ThreadLocal<int[][]> SCRATCH_IDS = ThreadLocal.withInitial(() -> new int[1][0]);
    private static final int SCRATCH_IDS_KEEP = 1 << 20;

    /** The class ids of {@code target}, in {@code scratch[0]} when given (grown if short: an exact-length array), else new. */
    private int[] classIds(Tensor pred, Tensor target, int[][] scratch) {
        int expected = pred.size() / pred.shape(-1);
        if (target.size() != expected) {
            throw new IllegalArgumentException(keras() + ": predictions of shape " + Shape.str(pred.shape()) + " need " + expected
                    + " integer class labels, got targets of shape " + Shape.str(target.shape())
                    + (target.shape(-1) == pred.shape(-1) && target.rank() == pred.rank() ? " (one-hot targets: use categorical_crossentropy)" : ""));
        }
        // Read in place when the targets own their storage (a GPT step's (B, T) targets: no 16 KB copy), else copied.
        float[] t = target.hasRawFloats() ? target.rawFloats() : target.toFloatArray();
        int classes = pred.shape(-1);
        int[] ids;
        if (scratch == null || scratch[0].length != t.length) {
            ids = new int[t.length];
            if (scratch != null && t.length <= SCRATCH_IDS_KEEP) scratch[0] = ids;
        } else {
            ids = scratch[0];
        }
        for (int i = 0; i < t.length; i++) {
            int c = (int) t[i];
            if (c != t[i] || c < 0 || c >= classes) throw notAClassId(t[i], i, classes);
            ids[i] = c;
        }
        return ids;
    }

    private IllegalArgumentException notAClassId(Object label, int i, int classes) {
        return new IllegalArgumentException(keras() + ": label " + label + " at position " + i + " is not a class id in [0, " + classes
                + "); the model's last layer has " + classes + " outputs");
    }

    /** Keras name, e.g. {@code sparse_categorical_crossentropy_from_logits}. */
    @JsonValue
    public String keras() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    @JsonCreator
    public static Loss parse(String name) {
        String n = name.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        if (n.equals("MSE")) return MEAN_SQUARED_ERROR;
        if (n.equals("MAE")) return MEAN_ABSOLUTE_ERROR;
        for (Loss l : values()) if (l.name().equals(n)) return l;
        throw new IllegalArgumentException("unknown loss '" + name + "'; use one of mse, mae, binary_crossentropy, categorical_crossentropy, "
                + "sparse_categorical_crossentropy (each cross-entropy also with _from_logits)");
    }
}
