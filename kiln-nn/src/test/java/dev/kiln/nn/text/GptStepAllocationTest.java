package dev.kiln.nn.text;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import dev.kiln.core.StepArena;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.optimizers.Adam;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * A warmed-up GPT training step (Gpt.trainStep in a StepArena: token and position embeddings, a causal attention block
 * with its fused attention op, layer norms, GELU, the sparse cross-entropy, AdamW with a clip) allocates nothing.
 * Measured with the training thread's allocation counter over windows of 30 steps (the least window, stopping at the
 * first of zero bytes; C2 needs a few thousand steps for the kernels a step runs once). The char-GPT benchmark's step
 * was 139 KB, then 16.5 KB, then ~1 KB before the attention's result records, the products' shape arrays and
 * transposes, and the reshapes' arrays went.
 */
class GptStepAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void aWarmedUpGptStepAllocatesNothing() {
        GptConfig c = new GptConfig(24, 16, 32, 2, 2, 0);
        Sequential model = Gpt.build(c, 3);
        var opt = Adam.adamW(1e-3, 0.01).clipGlobalNorm(1.0);
        Rng rng = new Rng(5);
        int[] ids = new int[4000];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 7 + rng.nextInt(3)) % 24;
        Gpt.Windows windows = new Gpt.Windows(8, 16);
        StepArena arena = new StepArena();
        double least = Double.POSITIVE_INFINITY;
        float first = Float.NaN, last = Float.NaN;
        for (int window = 0; window < 400 && least > 0; window++) {
            long start = THREADS.getCurrentThreadAllocatedBytes();
            for (int s = 0; s < 30; s++) {   // nothing but the step inside the window (an assertion allocates)
                windows.sample(ids, rng);
                last = Gpt.trainStep(model, opt, windows.inputs(), windows.targets(), rng, arena);
                if (Float.isNaN(first)) first = last;
            }
            least = Math.min(least, (THREADS.getCurrentThreadAllocatedBytes() - start) / 30.0);
        }
        assertThat(last).as("the model trains: loss after the measured steps against the first").isLessThan(first);
        assertThat(least).as("bytes per warmed-up GPT step").isZero();
    }
}
