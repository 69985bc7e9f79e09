package dev.kiln.nn;

import dev.kiln.data.Dataset;
import java.util.Map;

/**
 * How {@link Model#fit} runs, with Keras's defaults: 1 epoch, batch 32, shuffled, no validation.
 *
 * @param validationData  held-out data evaluated after each epoch (takes precedence over the split)
 * @param validationSplit fraction of the training data held out (taken after a seeded shuffle), 0 for none
 * @param classWeights    per-class loss weights (class id → weight), empty for none
 * @param verbose         print a progress bar and per-epoch line to standard output
 */
public record FitOptions(int epochs, int batchSize, boolean shuffle, long seed, Dataset validationData,
                         double validationSplit, Map<Integer, Double> classWeights, boolean verbose) {
    public FitOptions {
        if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        if (!(validationSplit >= 0 && validationSplit < 1)) throw new IllegalArgumentException("validationSplit must be in [0, 1), got " + validationSplit);
        classWeights = classWeights == null ? Map.of() : Map.copyOf(classWeights);
        for (var e : classWeights.entrySet()) {
            if (!(e.getValue() >= 0)) throw new IllegalArgumentException("class weight for class " + e.getKey() + " must be >= 0, got " + e.getValue());
        }
    }

    public FitOptions(int epochs, int batchSize) {
        this(epochs, batchSize, true, 42L, null, 0, Map.of(), true);
    }

    public FitOptions withEpochs(int v) { return new FitOptions(v, batchSize, shuffle, seed, validationData, validationSplit, classWeights, verbose); }

    public FitOptions withBatchSize(int v) { return new FitOptions(epochs, v, shuffle, seed, validationData, validationSplit, classWeights, verbose); }

    public FitOptions withShuffle(boolean v) { return new FitOptions(epochs, batchSize, v, seed, validationData, validationSplit, classWeights, verbose); }

    public FitOptions withSeed(long v) { return new FitOptions(epochs, batchSize, shuffle, v, validationData, validationSplit, classWeights, verbose); }

    public FitOptions withValidationData(Dataset v) { return new FitOptions(epochs, batchSize, shuffle, seed, v, validationSplit, classWeights, verbose); }

    public FitOptions withValidationSplit(double v) { return new FitOptions(epochs, batchSize, shuffle, seed, validationData, v, classWeights, verbose); }

    public FitOptions withClassWeights(Map<Integer, Double> v) { return new FitOptions(epochs, batchSize, shuffle, seed, validationData, validationSplit, v, verbose); }

    public FitOptions withVerbose(boolean v) { return new FitOptions(epochs, batchSize, shuffle, seed, validationData, validationSplit, classWeights, v); }
}
