package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import dev.kiln.data.Dataset;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.layers.TransformerEncoder;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import org.junit.jupiter.api.Test;

/**
 * A small text classifier on padded sequences (an embedding with maskZero, a TransformerEncoder that hides the padding
 * keys, a sigmoid head): a warmed-up step allocates nothing. The embedding's mask used to be a fresh array a step and
 * the attention copied it twice (as doubles, then as floats) per call: 40 KB a step at this size.
 */
class EncoderStepAllocationTest {
    @Test
    void aMaskedTransformerEncoderStepAllocatesNothing() {
        Rng rng = new Rng(7);
        int n = 3200, seq = 12;   // 50 steps of 64 per epoch
        float[] x = new float[n * seq];
        for (int i = 0; i < x.length; i++) x[i] = 1 + rng.nextInt(49);
        for (int i = 0; i < n; i++) java.util.Arrays.fill(x, i * seq + seq - i % 4, (i + 1) * seq, 0f);   // 0-3 pads
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = x[i * seq] > 25 ? 1 : 0;
        Model m = new Sequential(new Embedding(50, 8, true), new TransformerEncoder(2, 16), new Flatten(), new Dense(1, Activation.SIGMOID));
        m.compile(new Adam(1e-3).clipGlobalNorm(1.0), Loss.BINARY_CROSSENTROPY, "accuracy");
        double bytes = StepAllocation.bytesPerStep(m, new Dataset(x, new int[] {seq}, y, 2), 64, "on", 4, 400);
        assertThat(bytes).as("bytes per warmed-up masked encoder step").isZero();
    }
}
