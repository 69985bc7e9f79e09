package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Grad;
import dev.kiln.core.Rng;
import dev.kiln.core.StepArena;
import dev.kiln.core.Tensor;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Add;
import dev.kiln.nn.layers.Concatenate;
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

    /**
     * A residual graph whose values have several readers, one read long after it was made, a view (Reshape) alive
     * beside the value it views, and a fused convolution + pooling node.
     */
    static Functional residualGraph() {
        Node in = Node.input(12, 12);
        Node img = in.then(new Reshape(12, 12, 1));
        Node c = img.then(new Conv2D(4, 3, Activation.RELU)).then(new MaxPooling2D(2));          // (5, 5, 4)
        Node flat = c.then(new Flatten());                                                        // a view of c
        Node a = flat.then(new Dense(16, Activation.RELU));
        Node b = a.then(new Dense(16, Activation.RELU)).then(new Dense(16));
        Node sum = Node.merge(new Add(), a, b);                                                   // a read again, late
        Node wide = Node.merge(new Concatenate(), sum, flat.then(new Dense(4)));
        Node out = wide.then(new Dense(3));
        Functional m = new Functional(in, out);
        m.build(12, 12);
        return m;
    }

    /** Bytes of one (64, 10, 10, 8) activation: what Conv2D, BatchNormalization and ReLU each give on images(64). */
    static final long CONV_BLOCK = 4L * 64 * 10 * 10 * 8;

    /** One pass of {@code m} on {@code x} with the graph off inside {@code arena}, as predict runs it. */
    static float[] inferencePass(StepArena arena, Model m, Tensor x) {
        return arena.call(() -> Grad.noGrad(() -> m.call(x, CallContext.inference()))).toFloatArray();
    }

    static float[] predictIn(String mode, Supplier<? extends Model> model, Tensor x) {
        String before = System.getProperty("kiln.stepArena");
        System.setProperty("kiln.stepArena", mode);
        try {
            Model m = model.get();
            float[] first = m.predict(x).toFloatArray();
            assertThat(m.predict(x).toFloatArray()).isEqualTo(first);   // the second pass runs on recycled storage
            return first;
        } finally {
            if (before == null) System.clearProperty("kiln.stepArena");
            else System.setProperty("kiln.stepArena", before);
        }
    }

    static void assertSameBitsInEveryMode(Supplier<? extends Model> model, Tensor x) {
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
    void aFunctionalGraphKeepsEveryBitWhenItFreesValues() {
        assertSameBitsInEveryMode(InferenceArenaTest::residualGraph, images(6));
    }

    @Test
    void aFunctionalGraphFreesEachValueAfterItsLastReader() {
        // a -> b -> c -> d, then a + d: five (72, 256) values; a lives until the Add, b and c die one node after
        // they are made, so three arrays of that shape serve the whole pass.
        Node in = Node.input(8);
        Node a = in.then(new Dense(256, Activation.RELU));
        Node d = a.then(new Dense(256, Activation.RELU)).then(new Dense(256, Activation.RELU)).then(new Dense(256));
        Node out = Node.merge(new Add(), a, d).then(new Dense(2));
        Functional m = new Functional(in, out);
        m.build(8);
        Tensor x = Tensor.of(images(4).toFloatArray(), 72, 8);
        long value = 4L * 72 * 256;
        StepArena arena = new StepArena(true);
        assertThat(inferencePass(arena, m, x)).isEqualTo(m.predict(x).toFloatArray());
        assertThat(arena.allocatedBytes()).isLessThan(4 * value);
        assertThat(arena.allocatedBytes()).isGreaterThanOrEqualTo(3 * value);
    }

    @Test
    void aConvolutionBlockNeedsTwoArraysOfItsShapeNotThree() {
        StepArena arena = new StepArena(true);
        assertThat(inferencePass(arena, convBnModel(), images(64))).doesNotContain(Float.NaN);
        // Holding every activation takes at least three block-sized arrays; the ReLU now reuses the convolution's.
        assertThat(arena.allocatedBytes()).isLessThan(3 * CONV_BLOCK);
        assertThat(arena.allocatedBytes()).isGreaterThanOrEqualTo(2 * CONV_BLOCK);
    }

    @Test
    void aPassThatRecordsTheGraphKeepsEveryActivation() {
        Sequential m = convBnModel();
        Tensor x = images(64);
        StepArena arena = new StepArena(true);
        Tensor y = arena.call(() -> m.call(x, CallContext.inference()));   // the graph records (a saliency map would)
        y.sum().backward();
        assertThat(arena.allocatedBytes()).isGreaterThanOrEqualTo(3 * CONV_BLOCK);
        for (Tensor p : m.parameters().values()) assertThat(p.grad().toFloatArray()).doesNotContain(Float.NaN);
    }
}
