package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Grad;
import dev.kiln.core.Rng;
import dev.kiln.core.StepArena;
import dev.kiln.core.Tensor;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.ActivationLayer;
import dev.kiln.nn.layers.BatchNormalization;
import dev.kiln.nn.layers.CallContext;
import dev.kiln.nn.layers.Conv2D;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Dropout;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.layers.Lstm;
import dev.kiln.nn.layers.MaxPooling2D;
import dev.kiln.nn.layers.Reshape;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Inference frees each activation once the next layer has read it ({@link StepArena#doneWith}): predictions keep
 * every bit, in every arena mode ("poison" NaN-fills storage the moment it is taken back, so a layer that still read
 * it would show NaN), and a pass needs fewer arrays than it has layers.
 */
class InferenceArenaTest {

    static Sequential convBnModel() {
        Sequential m = new Sequential(new Reshape(12, 12, 1),
                new Conv2D(8, 3, Activation.LINEAR), new BatchNormalization(), new ActivationLayer(Activation.RELU), new Dropout(0.5),
                new MaxPooling2D(2),
                new Conv2D(8, 3, Activation.RELU), new MaxPooling2D(2),   // the fused convolution + pooling path
                new Flatten(), new Dense(16, Activation.RELU), new Dense(3));
        m.build(12, 12);
        return m;
    }

    static Sequential maskedLstmModel() {
        Sequential m = new Sequential(new Embedding(20, 6, true), new Lstm(5), new Dense(2));
        m.build(7);
        return m;
    }

    static Tensor images(int n) {
        Rng rng = new Rng(3);
        float[] v = new float[n * 144];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.uniform();
        return Tensor.of(v, n, 12, 12);
    }

    static Tensor ids() {
        return Tensor.of(new float[] {0, 0, 3, 5, 19, 2, 1, 0, 4, 4, 4, 4, 4, 9, 0, 0, 0, 0, 0, 0, 11}, 3, 7);
    }

    static float[] predictIn(String mode, Supplier<Sequential> model, Tensor x) {
        String before = System.getProperty("kiln.stepArena");
        System.setProperty("kiln.stepArena", mode);
        try {
            Sequential m = model.get();
            float[] first = m.predict(x).toFloatArray();
            assertThat(m.predict(x).toFloatArray()).isEqualTo(first);   // the second pass runs on recycled storage
            return first;
        } finally {
            if (before == null) System.clearProperty("kiln.stepArena");
            else System.setProperty("kiln.stepArena", before);
        }
    }

    static void assertSameBitsInEveryMode(Supplier<Sequential> model, Tensor x) {
        float[] off = predictIn("off", model, x);
        assertThat(off).doesNotContain(Float.NaN);
        assertThat(predictIn("on", model, x)).isEqualTo(off);
        assertThat(predictIn("poison", model, x)).isEqualTo(off);
    }

    @Test
    void convolutionBatchNormalisationDropoutAndFusedPoolingKeepEveryBit() {
        assertSameBitsInEveryMode(InferenceArenaTest::convBnModel, images(5));
    }

    @Test
    void anEmbeddingsMaskAndTheLstmReadingItKeepEveryBit() {
        assertSameBitsInEveryMode(InferenceArenaTest::maskedLstmModel, ids());
    }

    @Test
    void aConvolutionBlockNeedsTwoArraysOfItsShapeNotThree() {
        Sequential m = convBnModel();
        Tensor x = images(64);
        long block = 4L * 64 * 10 * 10 * 8;   // Conv2D, BatchNormalization and ReLU each give (64, 10, 10, 8)
        StepArena arena = new StepArena(true);
        float[] out = arena.call(() -> Grad.noGrad(() -> m.call(x, CallContext.inference()))).toFloatArray();
        assertThat(out).doesNotContain(Float.NaN);
        // Holding every activation takes at least three block-sized arrays; the ReLU now reuses the convolution's.
        assertThat(arena.allocatedBytes()).isLessThan(3 * block);
        assertThat(arena.allocatedBytes()).isGreaterThanOrEqualTo(2 * block);
    }

    @Test
    void aPassThatRecordsTheGraphKeepsEveryActivation() {
        Sequential m = convBnModel();
        Tensor x = images(64);
        long block = 4L * 64 * 10 * 10 * 8;
        StepArena arena = new StepArena(true);
        Tensor y = arena.call(() -> m.call(x, CallContext.inference()));   // the graph records (a saliency map would)
        y.sum().backward();
        assertThat(arena.allocatedBytes()).isGreaterThanOrEqualTo(3 * block);
        for (Tensor p : m.parameters().values()) assertThat(p.grad().toFloatArray()).doesNotContain(Float.NaN);
    }
}
