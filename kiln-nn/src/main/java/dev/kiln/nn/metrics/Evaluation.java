package dev.kiln.nn.metrics;

import dev.kiln.core.Shape;
import dev.kiln.data.Dataset;
import dev.kiln.nn.Model;

/**
 * Runs a classifier over a dataset and counts its predictions: the bridge from {@link Model} to
 * {@link ConfusionMatrix} and {@link ClassificationReport}. Predictions come from
 * {@link Model#predictClasses} (argmax, or the 0.5 / logit-0 threshold for a single output), in inference
 * mode and without recording gradients.
 */
public final class Evaluation {
    private static final int BATCH_SIZE = 256;

    private Evaluation() {}

    /**
     * The confusion matrix of {@code model} on every sample of {@code data}, named with the dataset's class
     * names when it has them. A model with one output is treated as binary (2 classes).
     *
     * @throws IllegalStateException    when the model is not built
     * @throws IllegalArgumentException when the model's classes and the dataset's disagree
     */
    public static ConfusionMatrix of(Model model, Dataset data) {
        return of(model, data, BATCH_SIZE);
    }

    /** As {@link #of(Model, Dataset)}, predicting {@code batchSize} samples at a time. */
    public static ConfusionMatrix of(Model model, Dataset data, int batchSize) {
        if (model == null || data == null) throw new IllegalArgumentException("Evaluation needs a model and a dataset, got model=" + model + ", data=" + data);
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        if (!model.isBuilt()) throw new IllegalStateException("the model is not built: train it, load it, or call build(inputShape) first");
        int[] out = model.outputShape();
        if (out.length != 1) {
            throw new IllegalArgumentException("Evaluation needs a classifier with outputs shaped (classes,), but the model outputs "
                    + Shape.str(out) + " per sample");
        }
        int classes = out[0] == 1 ? 2 : out[0];
        if (classes != data.numClasses()) {
            throw new IllegalArgumentException("the model predicts " + classes + " classes" + (out[0] == 1 ? " (one output, read as binary)" : "")
                    + " but the dataset has " + data.numClasses() + "; evaluate on data labelled for this model");
        }
        ConfusionMatrix m = new ConfusionMatrix(classes, data.classNames());
        for (var b : data.batches(batchSize, false, null)) m.add(b.y(), model.predictClasses(b.x()));
        return m;
    }
}
