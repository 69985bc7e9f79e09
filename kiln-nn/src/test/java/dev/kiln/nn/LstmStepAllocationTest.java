package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import dev.kiln.data.Dataset;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.Lstm;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import org.junit.jupiter.api.Test;

/**
 * The LSTM benchmark's model, small (embedding, a 16-unit LSTM, a one-unit sigmoid head, binary cross-entropy, Adam
 * with a global-norm clip): a warmed-up step allocates nothing. Before, ~1 KB a step went to the fused op's node and
 * shapes, the slices of its final state, its row bodies' lambdas and the layer's state list, and 88 KB to vectors boxed
 * in the cell kernel (see RecurrentKernels#lstmCell). The warm-up is long for the reason given in LossStepAllocationTest.
 */
class LstmStepAllocationTest {
    @Test
    void anLstmClassifierStepAllocatesNothing() {
        Rng rng = new Rng(7);
        int n = 3200, seq = 12;   // 50 steps of 64 per epoch
        float[] x = new float[n * seq];
        for (int i = 0; i < x.length; i++) x[i] = 1 + rng.nextInt(49);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = x[i * seq] > 25 ? 1 : 0;   // learnable: which half the first token is in
        Model m = new Sequential(new Embedding(50, 8), new Lstm(16), new Dense(1, Activation.SIGMOID));
        m.compile(new Adam(1e-3).clipGlobalNorm(1.0), Loss.BINARY_CROSSENTROPY, "accuracy");
        double bytes = StepAllocation.bytesPerStep(m, new Dataset(x, new int[] {seq}, y, 2), 64, "on", 4, 400);
        assertThat(bytes).as("bytes per warmed-up LSTM step").isZero();
    }
}
