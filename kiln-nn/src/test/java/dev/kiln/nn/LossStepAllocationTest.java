package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Tensor;
import dev.kiln.data.Dataset;
import dev.kiln.data.FashionMnist;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import org.junit.jupiter.api.Test;

/**
 * The zero-allocation step beyond the fused sparse cross-entropy: losses composed of element-wise ops and means
 * (mean squared error, binary cross-entropy with and without logits), their float targets and 0/1 accuracy.
 * Each of these allocated on every step before (scalar constants, shapes of reductions and reshapes, the target tensor, the
 * predicted labels), 0.1–10 KB a step.
 *
 * <p>The warm-up is long ({@link #WINDOWS} windows of 30 steps at most, the fit stopping at the first window of zero
 * bytes): a kernel that runs once a step (the one-unit head's products, the loss's element-wise ops on 64 values) is
 * compiled by C2 only after thousands of calls, and until then its Vector API code boxes every vector.
 */
class LossStepAllocationTest {
    private static final int WINDOWS = 400;

    private static Dataset fashion() {
        return FashionMnist.subset().train().slice(0, 3200);   // 50 steps of 64 per epoch
    }

    private static double mlpBytesPerStep(Loss loss, int outputs, Activation head) {
        Model m = new Sequential(new Flatten(), new Dense(32, Activation.RELU), new Dense(outputs, head));
        if (loss.isClassification()) m.compile(new Adam(1e-3), loss, "accuracy");
        else m.compile(new Adam(1e-3), loss);
        Dataset data = fashion();
        if (outputs == 1) data = binary(data);
        return StepAllocation.bytesPerStep(m, data, 64, "on", 4, WINDOWS);
    }

    /** The same images labelled 1 for the classes 5–9 (sandal … ankle boot) and 0 otherwise. */
    private static Dataset binary(Dataset d) {
        int[] y = d.labels().clone();
        for (int i = 0; i < y.length; i++) y[i] = y[i] >= 5 ? 1 : 0;
        return new Dataset(d.features().toFloatArray(), new int[] {28, 28}, y, 2);
    }

    @Test
    void meanSquaredErrorOnOneHotTargets() {
        assertThat(mlpBytesPerStep(Loss.MEAN_SQUARED_ERROR, 10, Activation.SOFTMAX)).as("bytes per warmed-up MSE step").isZero();
    }

    @Test
    void binaryCrossEntropyOnASigmoidUnit() {
        assertThat(mlpBytesPerStep(Loss.BINARY_CROSSENTROPY, 1, Activation.SIGMOID)).as("bytes per warmed-up BCE step").isZero();
    }

    @Test
    void binaryCrossEntropyFromLogits() {
        assertThat(mlpBytesPerStep(Loss.BINARY_CROSSENTROPY_FROM_LOGITS, 1, Activation.LINEAR))
                .as("bytes per warmed-up BCE-from-logits step").isZero();
    }

    @Test
    void sparseCrossEntropyOnSoftmaxProbabilities() {
        // Keras's tutorial form (a softmax head, sparse_categorical_crossentropy): the ids go straight to the gather,
        // whose node is refilled with its own copy (1.1 KB a step before: a target tensor, its ids, the gather's clone)
        assertThat(mlpBytesPerStep(Loss.SPARSE_CATEGORICAL_CROSSENTROPY, 10, Activation.SOFTMAX))
                .as("bytes per warmed-up sparse cross-entropy step on probabilities").isZero();
    }

    @Test
    void classWeightsAllocateNothing() {
        // the sample weights refilled in one kept tensor from a lookup by class id, read in place by the fused loss,
        // whose row scales live in its node (was 1.7 KB a step: a weight array and tensor, their copy as doubles, two
        // arrays of row scales)
        Model m = new Sequential(new Flatten(), new Dense(32, Activation.RELU), new Dense(10));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        java.util.Map<Integer, Double> weights = java.util.Map.of(0, 2.0, 6, 3.0);   // T-shirt and shirt, often confused
        FitOptions options = new FitOptions(1000, 64).withSeed(1).withVerbose(false).withClassWeights(weights);
        assertThat(StepAllocation.bytesPerStep(m, fashion(), options, "on", 4, WINDOWS)).as("bytes per warmed-up weighted step").isZero();
    }

    @Test
    void sparseCrossEntropyOnProbabilitiesMatchesTheTargetTensorForm() {
        // the class-id entry point (what fit uses) and the float-target one give the same loss, bit for bit
        Tensor p = Tensor.of(new float[] {0.2f, 0.5f, 0.3f, 0.9f, 0.05f, 0.05f}, 2, 3);
        float viaIds = Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(p, new int[] {1, 0}, null).item();
        float viaTargets = Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(p, Tensor.of(new float[] {1, 0}, 2)).item();
        assertThat(viaIds).isEqualTo(viaTargets);
        assertThat((double) viaIds).isCloseTo(-(Math.log(0.5) + Math.log(0.9)) / 2, org.assertj.core.api.Assertions.within(1e-6));
        assertThatThrownBy(() -> Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(p, new int[] {1, 3}, null))
                .hasMessageContaining("3");
    }
}
