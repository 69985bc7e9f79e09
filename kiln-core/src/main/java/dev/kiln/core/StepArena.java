package dev.kiln.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Recycles the float32 storage of the tensors one training step creates, so that a warmed-up step allocates no
 * large arrays.
 *
 * <p>How it works: while {@link #call} runs a step on this thread, every op result and every gradient that
 * backward computes takes its {@code float[]} from this arena instead of {@code new float[n]}; the arena keeps
 * free arrays in one stack per length and notes each array it lends. {@link #reset} returns every array lent
 * since the last reset to its stack, so the next step of the same shapes finds all its arrays ready and
 * allocates none. Only storage that ops request goes through the arena: the public factories
 * ({@link Tensor#zeros}, {@link Tensor#of}, initialisers), a parameter's accumulated gradient and anything made
 * outside {@link #call} allocate as usual, so parameters, optimiser state and the model's buffers never come
 * from it. Stacks of a length no step has asked for in {@value #IDLE_RESETS} resets are dropped once they hold
 * more than a step's worth, so a change of shapes (new sequence lengths) does not pin memory, while the short
 * last batch of each epoch keeps its arrays.
 *
 * <p>The rule that keeps it correct: <b>{@link #reset} may only be called when nothing computed inside the
 * step is referenced any more</b>. The training loop owns every tensor of its step (batch, prediction, loss,
 * graph, gradients), reads what it needs (loss value, accuracy) before resetting, and runs callbacks after the
 * reset and outside the arena, so user code never sees recycled storage. A layer that wants to keep a
 * tensor computed in a training step past the step (a moving statistic, a cache) must copy it into storage it
 * owns (in place, as batch normalisation does, or inside {@link #outside}); a view (reshape, slice,
 * {@link Tensor#detach()}) of a step's tensor shares its storage and is recycled with it. {@code poison}
 * fills every returned array with NaN, so a test that breaks this rule shows NaN instead of passing by luck.
 *
 * <p>Not thread-safe: one arena per training loop, used from its thread. Kernel threads never allocate tensors.
 */
public final class StepArena {
    private static final ScopedValue<StepArena> CURRENT = ScopedValue.newInstance();
    /** A stack that no step asked for in this many resets is dropped. */
    static final int IDLE_RESETS = 4;
    /** Bound by {@link #outside}, and what {@link #floats} sees when none is bound: lend nothing. */
    private static final StepArena NONE = new StepArena(false);

    private final boolean poison;
    private final ScopedValue.Carrier carrier;          // made once: entering the arena allocates nothing
    private final ArrayList<float[]> lent = new ArrayList<>();
    private int[] lengths = new int[8];                  // the stacks, by array length (a handful per model)
    private float[][][] stacks = new float[8][][];
    private int[] depths = new int[8];
    private int[] idle = new int[8];                     // resets since the stack was last asked for
    private int kinds;
    private long lentBytes;
    private long allocatedBytes;
    /** The backward pass's bookkeeping, kept across steps (see {@link BackwardWalk}). */
    final BackwardWalk walk = new BackwardWalk();

    /** An arena; with {@code poison}, {@link #reset} fills recycled arrays with NaN (for tests). */
    public StepArena(boolean poison) {
        this.poison = poison;
        this.carrier = ScopedValue.where(CURRENT, this);
    }

    public StepArena() {
        this(false);
    }

    /** Runs {@code step} on this thread with op results taking their storage from this arena. */
    public <T> T call(Supplier<T> step) {
        return carrier.call(step::get);
    }

    /** Runs {@code step} on this thread with op results taking their storage from this arena; allocates nothing itself. */
    public void run(Runnable step) {
        carrier.run(step);
    }

    /** Runs {@code body} with no arena: what it allocates is ordinary garbage-collected storage that may outlive the step. */
    public static <T> T outside(Supplier<T> body) {
        return NONE.carrier.call(body::get);
    }

    /**
     * Takes back every array lent since the last reset. Call it only when no tensor computed inside the step is
     * referenced any more (see the class comment).
     */
    public void reset() {
        long stepBytes = lentBytes;
        for (int i = 0, n = lent.size(); i < n; i++) {
            float[] a = lent.get(i);
            if (poison) Arrays.fill(a, Float.NaN);
            int k = kind(a.length);
            if (depths[k] == stacks[k].length) stacks[k] = Arrays.copyOf(stacks[k], depths[k] * 2);
            stacks[k][depths[k]++] = a;
        }
        lent.clear();
        lentBytes = 0;
        // Stacks nobody asked for in a while (the shapes changed) are dropped once they hold more than a step's worth:
        // a short last batch per epoch stays pooled, a stream of new sequence lengths does not pile up.
        long idleBytes = 0;
        for (int k = 0; k < kinds; k++) {
            if (idle[k] <= IDLE_RESETS) idle[k]++;
            if (idle[k] > IDLE_RESETS) idleBytes += 4L * lengths[k] * depths[k];
        }
        if (idleBytes <= stepBytes) return;
        int kept = 0;
        for (int k = 0; k < kinds; k++) {
            if (idle[k] > IDLE_RESETS) continue;
            lengths[kept] = lengths[k];
            stacks[kept] = stacks[k];
            depths[kept] = depths[k];
            idle[kept++] = idle[k];
        }
        for (int k = kept; k < kinds; k++) stacks[k] = null;
        kinds = kept;
    }

    /** Whether {@link #reset} NaN-fills what it takes back. */
    public boolean poisons() {
        return poison;
    }

    /** Bytes lent since the last reset (one step's working set once warmed up). */
    public long lentBytes() {
        return lentBytes;
    }

    /** Bytes this arena has had to allocate fresh since it was made (stops growing once the steps are warmed up). */
    public long allocatedBytes() {
        return allocatedBytes;
    }

    /** The arena of the training step running on this thread, or null outside one. */
    static StepArena current() {
        StepArena arena = CURRENT.orElse(NONE);
        return arena == NONE ? null : arena;
    }

    /**
     * Storage of {@code n} floats for an op's result: lent by the current thread's arena when there is one, else
     * fresh. Zero-filled when {@code zero}; otherwise the caller must write every element.
     */
    static float[] floats(int n, boolean zero) {
        StepArena arena = CURRENT.orElse(NONE);
        if (arena == NONE || n == 0) return new float[n];
        return arena.take(n, zero);
    }

    private float[] take(int n, boolean zero) {
        int k = kind(n);
        idle[k] = 0;
        float[] a;
        if (depths[k] > 0) {
            a = stacks[k][--depths[k]];
            stacks[k][depths[k]] = null;
            if (zero) Arrays.fill(a, 0f);
        } else {
            a = new float[n];
            allocatedBytes += 4L * n;
        }
        lent.add(a);
        lentBytes += 4L * n;
        return a;
    }

    /** The index of the stack for arrays of length {@code n}, made when new. */
    private int kind(int n) {
        for (int k = 0; k < kinds; k++) if (lengths[k] == n) return k;
        if (kinds == lengths.length) {
            lengths = Arrays.copyOf(lengths, kinds * 2);
            stacks = Arrays.copyOf(stacks, kinds * 2);
            depths = Arrays.copyOf(depths, kinds * 2);
            idle = Arrays.copyOf(idle, kinds * 2);
        }
        lengths[kinds] = n;
        stacks[kinds] = new float[4][];
        depths[kinds] = 0;
        idle[kinds] = 0;
        return kinds++;
    }
}
