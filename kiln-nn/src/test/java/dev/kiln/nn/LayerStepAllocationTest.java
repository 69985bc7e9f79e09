package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import dev.kiln.data.Dataset;
import dev.kiln.data.FashionMnist;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Concatenate;
import dev.kiln.nn.layers.Conv2D;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.layers.GlobalAveragePooling2D;
import dev.kiln.nn.layers.GlobalMaxPooling2D;
import dev.kiln.nn.layers.Reshape;
import dev.kiln.nn.layers.SpatialDropout2D;
import dev.kiln.nn.layers.TimeDistributed;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import org.junit.jupiter.api.Test;

/**
 * Layers found allocating a few bytes a step by a survey of configurations (JFR allocation samples after warm-up):
 * global pooling (GlobalMaxPooling2D made two max nodes and their axes a step, GlobalAveragePooling2D its axes array:
 * 256 and 24 B), SpatialDropout2D (its noise shape, 32 B) and TimeDistributed (four shape arrays, 112 B). A warmed-up
 * step with each allocates nothing.
 */
class LayerStepAllocationTest {
    @Test
    void globalPoolingAndSpatialDropoutAllocateNothing() {
        Dataset data = FashionMnist.subset().train().slice(0, 3200);   // 50 steps of 64 per epoch
        Node in = Node.input(28, 28);
        Node maps = in.then(new Reshape(28, 28, 1)).then(new Conv2D(8, 3, Activation.RELU)).then(new SpatialDropout2D(0.2));
        Node pooled = Node.merge(new Concatenate(), maps.then(new GlobalMaxPooling2D()), maps.then(new GlobalAveragePooling2D()));
        Model m = new Functional(in, pooled.then(new Dense(10)));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        assertThat(StepAllocation.bytesPerStep(m, data, 64, "on", 4, 400)).as("bytes per warmed-up step").isZero();
    }

    @Test
    void timeDistributedAllocatesNothing() {
        Rng rng = new Rng(7);
        int n = 3200, seq = 12;
        float[] x = new float[n * seq];
        for (int i = 0; i < x.length; i++) x[i] = 1 + rng.nextInt(49);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = x[i * seq] > 25 ? 1 : 0;   // learnable: which half the first token is in
        Model m = new Sequential(new Embedding(50, 8), new TimeDistributed(new Dense(16, Activation.RELU)), new Flatten(),
                new Dense(1, Activation.SIGMOID));
        m.compile(new Adam(1e-3), Loss.BINARY_CROSSENTROPY, "accuracy");
        double bytes = StepAllocation.bytesPerStep(m, new Dataset(x, new int[] {seq}, y, 2), 64, "on", 4, 400);
        assertThat(bytes).as("bytes per warmed-up TimeDistributed step").isZero();
    }
}
