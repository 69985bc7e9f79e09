package dev.kiln.nn.layers;

import dev.kiln.core.Tensor;

/** What the recurrent layers reuse across calls instead of allocating per training step. */
final class RecurrentScratch {
    private RecurrentScratch() {}

    /** (B, T, F) ↔ (T, B, F), for {@code permute}: a constant, so no permutation array is made per call. Never written. */
    static final int[] TIME_FIRST = {1, 0, 2};

    private static final ThreadLocal<Tensor[][][]> STATE_PAIRS = ThreadLocal.withInitial(
            () -> new Tensor[][][] {null, {new Tensor[1], new Tensor[1]}, {new Tensor[2], new Tensor[2]}});

    /**
     * This thread's two state arrays of {@code count} (1: h; 2: h and c) for {@link Recurrent#run}'s loop (this step's
     * and the next); the caller empties them when done. A fresh pair for other counts.
     */
    static Tensor[][] statePair(int count) {
        return count < 3 ? STATE_PAIRS.get()[count] : new Tensor[][] {new Tensor[count], new Tensor[count]};
    }
}
