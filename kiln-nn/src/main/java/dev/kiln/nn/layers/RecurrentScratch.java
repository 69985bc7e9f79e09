package dev.kiln.nn.layers;

/** What the recurrent layers reuse across calls instead of allocating per training step (arrays filled per call: {@link Scratch}). */
final class RecurrentScratch {
    private RecurrentScratch() {}

    /** (B, T, F) ↔ (T, B, F), for {@code permute}: a constant, so no permutation array is made per call. Never written. */
    static final int[] TIME_FIRST = {1, 0, 2};

    /** (T, B) ↔ (B, T), for {@code permute}; never written. */
    static final int[] SWAP = {1, 0};

    private static final ThreadLocal<int[][][]> REVERSED = ThreadLocal.withInitial(() -> new int[][][] {new int[65][]});

    /** t−1, …, 1, 0: this thread's copy for length t (kept per length; indexSelect copies what it keeps). Never written. */
    static int[] reversed(int t) {
        int[][][] holder = REVERSED.get();
        if (t >= holder[0].length) holder[0] = java.util.Arrays.copyOf(holder[0], Math.max(t + 1, 2 * holder[0].length));
        int[] r = holder[0][t];
        if (r == null) {
            r = new int[t];
            for (int s = 0; s < t; s++) r[s] = t - 1 - s;
            holder[0][t] = r;
        }
        return r;
    }

    private static final ThreadLocal<int[]> NOISE_SHAPE = ThreadLocal.withInitial(() -> new int[3]);

    /** (b, 1, f) in this thread's array: input dropout's noise shape, read (not kept) by {@code Tensor.dropout}. */
    static int[] noiseShape(int b, int f) {
        int[] s = NOISE_SHAPE.get();
        s[0] = b;
        s[1] = 1;
        s[2] = f;
        return s;
    }
}
