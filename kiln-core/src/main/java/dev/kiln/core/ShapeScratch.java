package dev.kiln.core;

/**
 * Per-thread shape arrays for ops that build a result's shape on every call: a warmed-up training step passes them
 * to the {@link StepArena}, which copies a shape only when it has to make a new tensor, so the step allocates no shape.
 * An array is valid until the next request for the same slot and rank on the same thread; a caller that keeps a shape
 * copies it. Each call site uses its own slot, so shapes that are alive together (a product's batch shapes and its
 * result's) never share an array.
 */
final class ShapeScratch {
    static final int REDUCE_KEPT = 0, REDUCE_DROPPED = 1, SLICE = 2, RESHAPE = 3, MATMUL_A = 4, MATMUL_B = 5, MATMUL_BATCH = 6,
            MATMUL_OUT = 7, MATMUL_WALK = 8, RECURRENT = 9, CONCAT = 10, ATTENTION_OUT = 11, ATTENTION_P = 12, PERMUTE_SHAPE = 13,
            PERMUTE_STRIDES = 14, LOSS = 15, INDEX_SELECT = 16, GATHER_ALONG = 17, PAD = 18;
    private static final int SLOTS = 19, MAX_RANK = 8;

    private ShapeScratch() {}

    private static final ThreadLocal<int[][][]> ARRAYS = ThreadLocal.withInitial(() -> new int[SLOTS][MAX_RANK + 1][]);

    /** The slot's array of length {@code rank} (a fresh one above rank 8). */
    static int[] of(int slot, int rank) {
        if (rank > MAX_RANK) return new int[rank];
        int[][] bySlot = ARRAYS.get()[slot];
        int[] s = bySlot[rank];
        if (s == null) s = bySlot[rank] = new int[rank];
        return s;
    }
}
