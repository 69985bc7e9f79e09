package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.data.Dataset;
import dev.kiln.data.FashionMnist;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.ActivationLayer;
import dev.kiln.nn.layers.AveragePooling2D;
import dev.kiln.nn.layers.BatchNormalization;
import dev.kiln.nn.layers.Conv2D;
import dev.kiln.nn.layers.Conv2DTranspose;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Dropout;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.layers.MaxPooling2D;
import dev.kiln.nn.layers.Padding;
import dev.kiln.nn.layers.Reshape;
import dev.kiln.nn.layers.ZeroPadding2D;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import org.junit.jupiter.api.Test;

/**
 * A warmed-up training step of a small CNN allocates nothing, as {@link TrainingStepAllocationTest} shows for an MLP:
 * the convolution ops refill their recycled graph nodes, their geometry and result shapes are cached, and the kernels'
 * parallel bodies are reused per thread. The model covers both convolution ops of the tutorial CNN: Conv2D(relu) with
 * MaxPooling2D (run fused) and a Conv2D(relu) on its own, between the Reshape that adds the channel axis and Flatten.
 */
class CnnTrainingStepAllocationTest {
    private static double bytesPerStep(String arenaMode, int warmupEpochs, int windows) {
        Dataset data = FashionMnist.subset().train().slice(0, 3200);   // 50 steps of 64 per epoch
        Model m = new Sequential(new Reshape(28, 28, 1),
                new Conv2D(8, 3, Activation.RELU), new MaxPooling2D(2),
                new Conv2D(8, 3, Activation.RELU),
                new Flatten(), new Dense(10));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        return StepAllocation.bytesPerStep(m, data, 64, arenaMode, warmupEpochs, windows);
    }

    @Test
    void theUnfusedLayersAllocateNothingEither() {
        // Conv2D (linear) -> BatchNormalization -> ReLU layer -> MaxPooling2D does not fuse; with AveragePooling2D and
        // Dropout it covers the batch-norm op, the pooling op outside the fused one, element-wise ReLU and dropout's mask.
        Dataset data = FashionMnist.subset().train().slice(0, 3200);
        Model m = new Sequential(new Reshape(28, 28, 1),
                new Conv2D(8, 3, Activation.LINEAR), new BatchNormalization(), new ActivationLayer(Activation.RELU), new MaxPooling2D(2),
                new Conv2D(8, 3, Activation.RELU), new AveragePooling2D(2), new Dropout(0.2),
                new Flatten(), new Dense(10));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        assertThat(StepAllocation.bytesPerStep(m, data, 64, "on", 4, 10)).as("bytes per warmed-up step").isZero();
    }

    @Test
    void aWarmedUpCnnStepAllocatesNothing() {
        // The working set: the first convolution's input gradient alone is 64·28·28 floats (200 kB).
        double off = bytesPerStep("off", 0, 1);
        assertThat(off).as("bytes per step with the arena off (the measurement's sanity check)").isGreaterThan(200_000);
        double on = bytesPerStep("on", 4, 10);
        assertThat(on).as("bytes per warmed-up CNN step with the arena on").isZero();
    }

    @Test
    void aTransposedConvolutionStepAllocatesNothing() {
        // A strided Conv2D down to 14x14 and a Conv2DTranspose (bias, ReLU, same padding) back up to 28x28: the
        // transposed op's forward, and its backward for all three operands (its input comes from the Conv2D).
        Dataset data = FashionMnist.subset().train().slice(0, 3200);
        Model m = new Sequential(new Reshape(28, 28, 1),
                new Conv2D(new Conv2D.Config(8, 3, Activation.RELU).withStrides(2, 2).withPadding(Padding.SAME)),
                new Conv2DTranspose(new Conv2DTranspose.Config(8, 3, 2, Padding.SAME, Activation.RELU)),
                new Flatten(), new Dense(10));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        assertThat(StepAllocation.bytesPerStep(m, data, 64, "on", 4, 10)).as("bytes per warmed-up step").isZero();
    }

    @Test
    void zeroPaddingAllocatesNothing() {
        // Padding between two convolutions, so that its backward runs too (padding the batch itself records no node).
        Dataset data = FashionMnist.subset().train().slice(0, 3200);
        Model m = new Sequential(new Reshape(28, 28, 1),
                new Conv2D(8, 3, Activation.RELU), new ZeroPadding2D(1, 2),
                new Conv2D(8, 3, Activation.RELU), new MaxPooling2D(2),
                new Flatten(), new Dense(10));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        assertThat(StepAllocation.bytesPerStep(m, data, 64, "on", 4, 10)).as("bytes per warmed-up step").isZero();
    }
}
