package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.data.Dataset;
import dev.kiln.data.FashionMnist;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Add;
import dev.kiln.nn.layers.Concatenate;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Dropout;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import org.junit.jupiter.api.Test;

/**
 * A warmed-up training step allocates nothing: its tensors (storage, headers, graph nodes) come back from the step's
 * arena and its bookkeeping (backward walk, kernel tasks, logs) is reused. Measured with the training thread's
 * allocation counter (a count of bytes, not a timing) over steps inside an epoch; what an epoch's end allocates (its
 * logs, the history, the next pass's iterator) is not a step's. With the arena off the same step allocates its whole
 * working set, which shows the measurement can fail.
 */
class TrainingStepAllocationTest {
    /**
     * Windows (epochs of 50 steps, ~25 ms each) to look for a zero one in; the first zero ends the fit. Ten once read
     * 140 KB in every window on a clean-clone CI run, with the module's earlier tests still queued for C2, and zero on
     * every rerun: ten windows are half a second of wall time, less than a backed-up compile queue can take.
     */
    private static final int WINDOWS = 100;

    private static double bytesPerStep(String arenaMode, int warmupEpochs, int windows) {
        Dataset data = FashionMnist.subset().train().slice(0, 3200);   // 50 steps of 64 per epoch
        Model m = new Sequential(new Flatten(), new Dense(256, Activation.RELU), new Dense(10));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        return StepAllocation.bytesPerStep(m, data, 64, arenaMode, warmupEpochs, windows);
    }

    @Test
    void aWarmedUpStepAllocatesNothing() {
        // The step's working set: the first layer's weight gradient alone is 784·256 floats (800 kB), plus activations.
        double off = bytesPerStep("off", 0, 1);
        assertThat(off).as("bytes per step with the arena off (the measurement's sanity check)").isGreaterThan(800_000);
        double on = bytesPerStep("on", 4, WINDOWS);
        assertThat(on).as("bytes per warmed-up step with the arena on").isZero();
    }

    @Test
    void dropoutsMaskComesFromTheArena() {
        // Dropout draws a fresh mask every step (a 64×256 float tensor, 64 kB): it must be recycled like the activations.
        Dataset data = FashionMnist.subset().train().slice(0, 3200);
        Model m = new Sequential(new Flatten(), new Dense(256, Activation.RELU), new Dropout(0.2), new Dense(10));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        assertThat(StepAllocation.bytesPerStep(m, data, 64, "on", 4, WINDOWS)).as("bytes per warmed-up step with Dropout").isZero();
    }

    @Test
    void aFunctionalModelWithAResidualAddAndAConcatenateAllocatesNothing() {
        // the graph's values and each merge's inputs live in per-thread arrays; a merge checks its inputs' shapes in
        // place (was 808 B a step: the arrays, a list, and a stream of shape copies per merge)
        Dataset data = FashionMnist.subset().train().slice(0, 3200);
        Node in = Node.input(28, 28);
        Node flat = in.then(new Flatten());
        Node h = flat.then(new Dense(64, Activation.RELU));
        Node residual = Node.merge(new Add(), h, h.then(new Dense(64, Activation.RELU)));
        Node joined = Node.merge(new Concatenate(), residual, flat.then(new Dense(16, Activation.RELU)));
        Model m = new Functional(in, joined.then(new Dense(10)));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        assertThat(StepAllocation.bytesPerStep(m, data, 64, "on", 4, 400)).as("bytes per warmed-up functional step").isZero();
    }

    @Test
    void predictRecyclesItsActivationsButNeverTheOutputItReturns() {
        Dataset data = FashionMnist.subset().train().slice(0, 300);
        Model m = new Sequential(new Flatten(), new Dense(64, Activation.RELU), new Dense(10));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        m.fit(data, new FitOptions(1, 50).withSeed(2).withVerbose(false));
        dev.kiln.core.Tensor a = data.features().slice(0, 0, 256).copy(), b = data.features().slice(0, 40, 296).copy();
        String before = System.getProperty("kiln.stepArena");
        try {
            System.setProperty("kiln.stepArena", "off");
            float[] plainA = m.predict(a).toFloatArray(), plainB = m.predict(b).toFloatArray();
            System.setProperty("kiln.stepArena", "poison");   // recycled arrays turn to NaN: a returned one would show it
            dev.kiln.core.Tensor ya = m.predict(a);
            dev.kiln.core.Tensor yb = m.predict(b);
            m.predict(a);
            assertThat(ya.toFloatArray()).isEqualTo(plainA);
            assertThat(yb.toFloatArray()).isEqualTo(plainB);
            System.setProperty("kiln.stepArena", "on");
            assertThat(m.predict(a).toFloatArray()).isEqualTo(plainA);
            assertThat(m.predict(data.features()).toFloatArray()).hasSize(300 * 10).doesNotContain(Float.NaN);   // chunked: 256 + 44
        } finally {
            if (before == null) System.clearProperty("kiln.stepArena");
            else System.setProperty("kiln.stepArena", before);
        }
    }
}
