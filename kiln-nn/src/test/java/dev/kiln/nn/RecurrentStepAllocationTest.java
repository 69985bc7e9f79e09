package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import dev.kiln.data.Dataset;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Bidirectional;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.Gru;
import dev.kiln.nn.layers.Layer;
import dev.kiln.nn.layers.Lstm;
import dev.kiln.nn.layers.SimpleRnn;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import org.junit.jupiter.api.Test;

/**
 * The LSTM benchmark's model, small (embedding, a 16-unit recurrent layer, a one-unit sigmoid head, binary
 * cross-entropy, Adam with a global-norm clip), with each recurrent layer: a warmed-up step allocates nothing. Before,
 * 0.6–1.4 KB a step went to the fused ops' nodes and shapes, slices and permutes of their outputs, their row bodies'
 * lambdas, the layers' state lists and arrays, SimpleRNN's per-step cell arrays, and, for the LSTM, 88 KB to vectors
 * boxed in the cell kernel (see RecurrentKernels#lstmCell). The warm-up is long for the reason given in
 * LossStepAllocationTest.
 */
class RecurrentStepAllocationTest {
    private static double bytesPerStep(Layer recurrent) {
        return bytesPerStep(false, recurrent);
    }

    /** With {@code padded}, 0-3 trailing ids of each sequence are 0 and the embedding masks them (maskZero). */
    private static double bytesPerStep(boolean padded, Layer... recurrent) {
        Rng rng = new Rng(7);
        int n = 3200, seq = 12;   // 50 steps of 64 per epoch
        float[] x = new float[n * seq];
        for (int i = 0; i < x.length; i++) x[i] = 1 + rng.nextInt(49);
        if (padded) for (int i = 0; i < n; i++) java.util.Arrays.fill(x, i * seq + seq - i % 4, (i + 1) * seq, 0f);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = x[i * seq] > 25 ? 1 : 0;   // learnable: which half the first token is in
        Sequential m = new Sequential(new Embedding(50, 8, padded));
        for (Layer l : recurrent) m.add(l);
        m.add(new Dense(1, Activation.SIGMOID));
        m.compile(new Adam(1e-3).clipGlobalNorm(1.0), Loss.BINARY_CROSSENTROPY, "accuracy");
        return StepAllocation.bytesPerStep(m, new Dataset(x, new int[] {seq}, y, 2), 64, "on", 4, 400);
    }

    @Test
    void anLstmClassifierStepAllocatesNothing() {
        assertThat(bytesPerStep(new Lstm(16))).as("bytes per warmed-up LSTM step").isZero();
    }

    @Test
    void aGruClassifierStepAllocatesNothing() {
        assertThat(bytesPerStep(new Gru(16))).as("bytes per warmed-up GRU step").isZero();
    }

    @Test
    void aMaskedLstmStepAllocatesNothing() {
        // the embedding's (B, T) mask and the LSTM's keep flags come from the step's arena (were 15.6 KB a step)
        assertThat(bytesPerStep(true, new Lstm(16))).as("bytes per warmed-up masked LSTM step").isZero();
    }

    @Test
    void stackedRecurrentLayersWithAMaskAllocateNothing() {
        // an LSTM returning sequences (its (B, T, U) output and the mask it passes on) under a GRU
        assertThat(bytesPerStep(true, new Lstm(16, true), new Gru(16))).as("bytes per warmed-up stacked, masked step").isZero();
    }

    @Test
    void recurrentLayersTrainingWithDropoutAllocateNothing() {
        // the per-step composition: dropout masks from the arena, the cell made once, state arrays per thread (an LSTM
        // with dropout was 9.2 KB a step, a GRU 6.6 KB; the LSTM's gates also boxed vectors in FastMath for good)
        assertThat(bytesPerStep(new Lstm(new Lstm.Config(16).withDropout(0.2, 0.2)))).as("bytes per LSTM step with dropout").isZero();
        assertThat(bytesPerStep(new Gru(new Gru.Config(16).withDropout(0.2, 0.2)))).as("bytes per GRU step with dropout").isZero();
    }

    @Test
    void aBidirectionalLstmStepAllocatesNothing() {
        // both directions' outputs alone (no state lists), the reversed order kept per length, concat without varargs
        assertThat(bytesPerStep(new Bidirectional(new Lstm(16)))).as("bytes per warmed-up bidirectional step").isZero();
    }

    @Test
    void aSimpleRnnClassifierStepAllocatesNothing() {
        assertThat(bytesPerStep(new SimpleRnn(16))).as("bytes per warmed-up SimpleRNN step").isZero();
    }
}
