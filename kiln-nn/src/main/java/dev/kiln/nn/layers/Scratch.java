package dev.kiln.nn.layers;

import dev.kiln.core.Tensor;
import java.util.Arrays;

/**
 * Per-thread arrays that a layer fills and empties within one call instead of allocating them every training step:
 * the parts of a concat, a sequence's per-step outputs, a recurrent loop's states, shapes for reshape. One array per
 * (slot, length), so uses that are alive at the same time (a loop's states while its cell runs) never share one. The
 * ops they are passed to (concat, reshape, dropout) read them and keep none; a caller empties a tensor array when done,
 * so it keeps no step's tensors.
 */
final class Scratch {
    /** Tensor slots. */
    static final int CONCAT_PARTS = 0, SEQUENCE_OUTPUTS = 1, INITIAL_STATES = 2, STATES = 3, NEXT_STATES = 4;
    /** int slots. */
    static final int FOLDED_SHAPE = 0, UNFOLDED_SHAPE = 1;
    private static final int TENSOR_SLOTS = 5, INT_SLOTS = 2;

    private Scratch() {}

    private static final class PerThread {
        final Tensor[][][] tensors = new Tensor[TENSOR_SLOTS][9][];
        final int[][][] ints = new int[INT_SLOTS][9][];
    }

    private static final ThreadLocal<PerThread> ARRAYS = ThreadLocal.withInitial(PerThread::new);

    /** This thread's tensor array of exactly {@code n} entries for {@code slot} (kept per length, grown as needed). */
    static Tensor[] tensors(int slot, int n) {
        Tensor[][][] all = ARRAYS.get().tensors;
        if (n >= all[slot].length) all[slot] = Arrays.copyOf(all[slot], Math.max(n + 1, 2 * all[slot].length));
        Tensor[] a = all[slot][n];
        return a != null ? a : (all[slot][n] = new Tensor[n]);
    }

    /** This thread's int array of exactly {@code n} entries for {@code slot} (a shape; kept per length, grown as needed). */
    static int[] ints(int slot, int n) {
        int[][][] all = ARRAYS.get().ints;
        if (n >= all[slot].length) all[slot] = Arrays.copyOf(all[slot], Math.max(n + 1, 2 * all[slot].length));
        int[] a = all[slot][n];
        return a != null ? a : (all[slot][n] = new int[n]);
    }
}
