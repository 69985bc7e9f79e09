package dev.kiln.core;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Recycles the float32 tensors one training step creates — storage, header and graph node — so that a warmed-up step
 * allocates nothing.
 *
 * <p>How it works: while {@link #run} runs a step on this thread, every op result and every gradient that backward
 * computes is taken from this arena instead of made anew: the arena keeps the tensors of past steps in one stack per
 * kind (a shape, plus, for a view, the storage it views), and notes each one it lends. {@link #reset} returns every
 * tensor lent since the last reset to its stack, so the next step of the same shapes finds all of them ready. A step
 * replays the same ops in the same order, so a recycled result usually still carries the graph node its op recorded
 * last time, and the ops on the training path ({@link Linear}, the sparse softmax cross-entropy, reshape) refill that
 * node instead of making one ({@link Tensor#spareNode}). Only results that ops request come from the arena: the public
 * factories ({@link Tensor#zeros}, {@link Tensor#of}, initialisers), a parameter's accumulated gradient and anything
 * made outside {@link #run} allocate as usual, so parameters, optimiser state and the model's buffers never come from
 * it. Kinds no step has asked for in {@value #IDLE_RESETS} resets are dropped once they hold more than a step's worth
 * of storage (views after {@value #VIEW_IDLE_RESETS}), so a change of shapes (new sequence lengths) does not pin
 * memory, while the short last batch of each epoch keeps its tensors.
 *
 * <p>The rule that keeps it correct: <b>{@link #reset} may only be called when nothing computed inside the
 * step is referenced any more</b>. The training loop owns every tensor of its step (batch, prediction, loss,
 * graph, gradients), reads what it needs (loss value, accuracy) before resetting, and runs callbacks after the
 * reset and outside the arena, so user code never sees a recycled tensor. A layer that wants to keep a
 * tensor computed in a training step past the step (a moving statistic, a cache) must copy it into storage it
 * owns (in place, as batch normalisation does, or inside {@link #outside}); a view (reshape, slice,
 * {@link Tensor#detach()}) of a step's tensor shares its storage and is recycled with it. {@code poison}
 * fills every returned tensor's storage with NaN, so a test that breaks this rule shows NaN instead of passing by luck.
 *
 * <p>Not thread-safe: one arena per training loop, used from its thread. Kernel threads never allocate tensors.
 */
public final class StepArena {
    /** A kind that no step asked for in this many resets is dropped. */
    static final int IDLE_RESETS = 4;
    /** A kind of view that no step asked for in this many resets is dropped. */
    static final int VIEW_IDLE_RESETS = 2;
    private static final int[] SCALAR = {};

    private final boolean poison;
    private Kind[] kinds = new Kind[16];            // in order of first use
    private int kindCount;
    private Kind[] table = new Kind[64];            // the same kinds, hashed: a step asks for hundreds of tensors
    private Tensor[] lent = new Tensor[64];
    private Kind[] lentKinds = new Kind[64];
    private boolean[] again = new boolean[64];     // a re-lend, within the step, of a tensor taken back early
    private int lentCount;
    private long lentBytes;
    private long allocatedBytes;
    /** The backward pass's bookkeeping, kept across steps (see {@link BackwardWalk}). */
    final BackwardWalk walk = new BackwardWalk();

    /**
     * Tensors of one shape that own their storage ({@code source} null), or contiguous views of one shape at one
     * offset into {@code source}, which another tensor owns.
     */
    private static final class Kind {
        final float[] source;
        final int offset;
        final int[] shape;
        final int[] strides;   // a strided view's (a slice); null when contiguous
        final int size;
        final int hash;
        Tensor[] stack = new Tensor[4];
        int depth;
        Tensor[] free = new Tensor[2];   // taken back early this step (releaseEarly): lent again before the stack
        int freeDepth;
        int idle;   // resets since a step last asked for this kind

        Kind(float[] source, int offset, int[] shape, int[] strides, int hash) {
            this.source = source;
            this.offset = offset;
            this.shape = shape;
            this.strides = strides;
            this.size = Shape.size(shape);
            this.hash = hash;
        }

        boolean is(float[] source, int offset, int rank, int d0, int d1, int[] dims, int[] strides, int hash) {
            if (this.hash != hash || this.source != source || this.offset != offset || shape.length != rank) return false;
            if (strides != null ? !Arrays.equals(this.strides, strides) : this.strides != null) return false;
            if (dims != null) return Arrays.equals(shape, dims);
            return rank == 0 || (shape[0] == d0 && (rank == 1 || shape[1] == d1));
        }
    }

    /** An arena; with {@code poison}, {@link #reset} fills recycled storage with NaN (for tests). */
    public StepArena(boolean poison) {
        this.poison = poison;
    }

    public StepArena() {
        this(false);
    }

    /** Runs {@code step} on this thread with op results taken from this arena. */
    public <T> T call(Supplier<T> step) {
        ThreadMode mode = ThreadMode.get();
        StepArena before = mode.arena;
        mode.arena = this;
        try {
            return step.get();
        } finally {
            mode.arena = before;
        }
    }

    /** Runs {@code step} on this thread with op results taken from this arena; allocates nothing itself. */
    public void run(Runnable step) {
        ThreadMode mode = ThreadMode.get();
        StepArena before = mode.arena;
        mode.arena = this;
        try {
            step.run();
        } finally {
            mode.arena = before;
        }
    }

    /** Runs {@code body} with no arena: what it allocates is ordinary garbage-collected storage that may outlive the step. */
    public static <T> T outside(Supplier<T> body) {
        ThreadMode mode = ThreadMode.get();
        StepArena before = mode.arena;
        mode.arena = null;
        try {
            return body.get();
        } finally {
            mode.arena = before;
        }
    }

    /**
     * Takes back every tensor lent since the last reset. Call it only when no tensor computed inside the step is
     * referenced any more (see the class comment).
     */
    public void reset() {
        long stepBytes = lentBytes;
        // Last lent, first pushed: the next step then pops each kind's tensors in the order this one took them, so
        // every op gets back the very tensor (and node) it made last time.
        // A tensor taken back early and lent again appears more than once: it goes back at its first lend, so that
        // the next step, replaying this one, gets the same tensors in the same order (views are kinds by storage).
        for (int i = 0; i < kindCount; i++) {
            Kind k = kinds[i];
            Arrays.fill(k.free, 0, k.freeDepth, null);
            k.freeDepth = 0;
        }
        for (int i = lentCount - 1; i >= 0; i--) {
            Tensor t = lent[i];
            Kind k = lentKinds[i];
            boolean relent = again[i];
            lent[i] = null;
            lentKinds[i] = null;
            again[i] = false;
            if (!relent) giveBack(k, t);
        }
        lentCount = 0;
        lentBytes = 0;
        // Kinds nobody asked for in a while (the shapes changed) are dropped once they hold more than a step's worth of
        // storage: the short last batch of an epoch keeps its tensors, a stream of new sequence lengths does not pile
        // up. Views go after VIEW_IDLE_RESETS, whatever their size: a view of the double-buffered input batch recurs
        // every other step, while one of a caller's array (each predict call's input) never does, and a kept view
        // would keep that array alive.
        long idleBytes = 0;
        boolean idleViews = false;
        for (int i = 0; i < kindCount; i++) {
            Kind k = kinds[i];
            if (k.idle <= IDLE_RESETS) k.idle++;
            if (k.source == null && k.idle > IDLE_RESETS) idleBytes += 4L * k.size * k.depth;
            idleViews |= k.source != null && k.idle > VIEW_IDLE_RESETS;
        }
        if (idleBytes <= stepBytes && !idleViews) return;
        int kept = 0;
        for (int i = 0; i < kindCount; i++) {
            Kind k = kinds[i];
            boolean drop = k.source == null ? k.idle > IDLE_RESETS && idleBytes > stepBytes : k.idle > VIEW_IDLE_RESETS;
            if (!drop) kinds[kept++] = k;
        }
        Arrays.fill(kinds, kept, kindCount, null);
        kindCount = kept;
        rehash(table.length);
    }

    /**
     * Takes back one tensor lent in this step before the step ends, so that a later op of the same step can reuse its
     * storage: the backward walk hands in each gradient once nothing reads it any more (a step otherwise holds every
     * gradient until its end, as many as the activations). Only tensors owning their storage; false for anything
     * else or not lent since the last reset.
     */
    boolean releaseEarly(Tensor t) {
        int i = t.lentAt;   // where take last put it
        if (i >= 0 && i < lentCount && lent[i] == t) {
            Kind k = lentKinds[i];
            if (k.source != null) return false;
            t.lentAt = -1;   // back: a second call finds nothing until take lends it again
            lentBytes -= 4L * k.size;
            if (poison) Arrays.fill(t.f, Float.NaN);
            t.release();
            if (k.freeDepth == k.free.length) k.free = Arrays.copyOf(k.free, k.freeDepth * 2);
            k.free[k.freeDepth++] = t;   // still in lent at its first lend, where reset puts it back
            return true;
        }
        return false;
    }

    /**
     * For a forward pass that records no graph (inference): {@code done} was the input of the layer that made
     * {@code next}, and nothing else of the pass reads it any more, so its storage can serve the layers after it, as
     * PyTorch frees an activation once its last reader is done. Without this a pass holds every layer's output to
     * its end: a batch-256 predict of a CNN with Conv2D → BatchNormalization → ReLU blocks held three 22 MB tensors
     * of the first block's shape where two do. Does nothing, and returns false, unless this thread runs in an arena
     * that lent {@code done}, the graph is off ({@link Grad#isEnabled()} false: backward would need {@code done}),
     * and neither {@code next} nor {@code mask} shares its storage (a reshape, a slice or the same tensor passed
     * through). The caller guarantees that it holds no other view of {@code done}.
     */
    public static boolean doneWith(Tensor done, Tensor next, Tensor mask) {
        StepArena arena = inferenceArena(done);
        if (arena == null || next != null && next.f == done.f || mask != null && mask.f == done.f) return false;
        return arena.releaseEarly(done);
    }

    /**
     * {@link #doneWith(Tensor, Tensor, Tensor)} for a graph of layers: {@code done}'s last reader has run, and
     * {@code live} holds every other value the pass still has (nulls and {@code done} itself are skipped); false when
     * any of them shares {@code done}'s storage.
     */
    public static boolean doneWith(Tensor done, Tensor[] live) {
        StepArena arena = inferenceArena(done);
        if (arena == null) return false;
        for (Tensor t : live) if (t != null && t != done && t.f == done.f) return false;
        return arena.releaseEarly(done);
    }

    /** This thread's arena when it runs one with the graph off and {@code done} has float storage to give back; else null. */
    private static StepArena inferenceArena(Tensor done) {
        ThreadMode mode = ThreadMode.get();
        return mode.arena == null || !mode.gradOff || done == null || done.f == null ? null : mode.arena;
    }

    private void giveBack(Kind k, Tensor t) {
        if (poison && k.source == null) Arrays.fill(t.f, Float.NaN);
        t.release();
        if (k.depth == k.stack.length) k.stack = Arrays.copyOf(k.stack, k.depth * 2);
        k.stack[k.depth++] = t;
    }

    /** Whether {@link #reset} NaN-fills what it takes back. */
    public boolean poisons() {
        return poison;
    }

    /** Bytes of storage lent since the last reset (one step's working set once warmed up). */
    public long lentBytes() {
        return lentBytes;
    }

    /** Bytes of storage this arena has had to allocate since it was made (stops growing once the steps are warmed up). */
    public long allocatedBytes() {
        return allocatedBytes;
    }

    /** The arena of the training step running on this thread, or null outside one. */
    static StepArena current() {
        return ThreadMode.get().arena;
    }

    /**
     * A float32 tensor owning its storage, for an op's result: lent by the current thread's arena when there is one,
     * else fresh. The shape is {@code dims} when non-null (kept, not copied: as for any tensor's shape, the caller must
     * never change it), else the first {@code rank} (at most two) of d0, d1, so that the common ranks need no array at
     * all once warmed up. Zero-filled when {@code zero}; otherwise the caller must write every element.
     */
    static Tensor tensor(int rank, int d0, int d1, int[] dims, boolean zero) {
        StepArena arena = ThreadMode.get().arena;
        if (arena == null) {
            int[] shape = dims != null ? dims : shapeOf(rank, d0, d1);
            return new Tensor(new float[Shape.size(shape)], null, 0, shape, Shape.stridesOf(shape));
        }
        return arena.take(null, 0, rank, d0, d1, dims, null, zero, true);
    }

    /** {@link #tensor} (not zeroed) for a shape the caller keeps: copied only when a new tensor has to be made. */
    static Tensor tensorOfShape(int[] shape) {
        StepArena arena = ThreadMode.get().arena;
        if (arena == null) {
            int[] s = shape.clone();
            return new Tensor(new float[Shape.size(s)], null, 0, s, Shape.stridesOf(s));
        }
        return arena.take(null, 0, shape.length, 0, 0, shape, null, false, false);
    }

    /**
     * A contiguous view of {@code src}'s storage from its offset, with the given shape (same size): recycled in an
     * arena, fresh otherwise. {@code shape} is copied if it may be kept, unless {@code owned} says the caller gives it
     * up (as for {@link #tensor}'s dims).
     */
    static Tensor view(Tensor src, int[] shape, boolean owned) {
        StepArena arena = src.f == null ? null : ThreadMode.get().arena;
        if (arena == null) {
            int[] s = owned ? shape : shape.clone();
            return new Tensor(src.f, src.d, src.offset, s, Shape.stridesOf(s));
        }
        return arena.take(src.f, src.offset, shape.length, 0, 0, shape, null, false, owned);
    }

    /** {@link #view} to a shape of rank 0–2 given as numbers, so a warmed-up step passes no array at all. */
    static Tensor view(Tensor src, int rank, int d0, int d1) {
        StepArena arena = src.f == null ? null : ThreadMode.get().arena;
        if (arena == null) {
            int[] s = shapeOf(rank, d0, d1);
            return new Tensor(src.f, src.d, src.offset, s, Shape.stridesOf(s));
        }
        return arena.take(src.f, src.offset, rank, d0, d1, null, null, false, true);
    }

    /**
     * A strided view of {@code src}'s storage (a slice): {@code shape} and {@code strides} from {@code offset}, recycled
     * in an arena (both arrays copied only when a new view has to be made, so the caller may pass scratch arrays),
     * fresh otherwise.
     */
    static Tensor stridedView(Tensor src, int offset, int[] shape, int[] strides) {
        StepArena arena = src.f == null ? null : ThreadMode.get().arena;
        if (arena == null) return new Tensor(src.f, src.d, offset, shape.clone(), strides.clone());
        return arena.take(src.f, offset, shape.length, 0, 0, shape, strides, false, false);
    }

    private static int[] shapeOf(int rank, int d0, int d1) {
        return rank == 0 ? SCALAR : rank == 1 ? new int[] {d0} : new int[] {d0, d1};
    }

    private static int hash(float[] source, int offset, int rank, int d0, int d1, int[] dims, int[] strides) {
        int h = source == null ? 0 : System.identityHashCode(source) * 31 + offset;
        if (strides != null) for (int st : strides) h = h * 31 + st;
        h = h * 31 + rank;
        if (dims != null) {
            for (int d : dims) h = h * 31 + d;
        } else {
            if (rank > 0) h = h * 31 + d0;
            if (rank > 1) h = h * 31 + d1;
        }
        return h ^ (h >>> 16);
    }

    private Tensor take(float[] source, int offset, int rank, int d0, int d1, int[] dims, int[] strides, boolean zero,
                        boolean owned) {
        int h = hash(source, offset, rank, d0, d1, dims, strides);
        int mask = table.length - 1;
        int slot = h & mask;
        Kind k;
        while ((k = table[slot]) != null && !k.is(source, offset, rank, d0, d1, dims, strides, h)) slot = (slot + 1) & mask;
        if (k == null) {
            int[] shape = dims == null ? shapeOf(rank, d0, d1) : owned ? dims : dims.clone();
            k = new Kind(source, offset, shape, strides == null ? null : strides.clone(), h);
            if (kindCount == kinds.length) kinds = Arrays.copyOf(kinds, kindCount * 2);
            kinds[kindCount++] = k;
            table[slot] = k;
            if (2 * kindCount > table.length) rehash(table.length * 2);
        }
        k.idle = 0;
        Tensor t;
        boolean relent = k.freeDepth > 0;
        if (relent) {
            t = k.free[--k.freeDepth];
            k.free[k.freeDepth] = null;
            if (zero) Arrays.fill(t.f, 0f);
        } else if (k.depth > 0) {
            t = k.stack[--k.depth];
            k.stack[k.depth] = null;
            if (zero) Arrays.fill(t.f, 0f);
        } else if (source == null) {
            t = new Tensor(new float[k.size], null, 0, k.shape, Shape.stridesOf(k.shape));
            allocatedBytes += 4L * k.size;
        } else {
            t = new Tensor(source, null, offset, k.shape, k.strides != null ? k.strides : Shape.stridesOf(k.shape));
        }
        if (lentCount == lent.length) {
            lent = Arrays.copyOf(lent, lentCount * 2);
            lentKinds = Arrays.copyOf(lentKinds, lentCount * 2);
            again = Arrays.copyOf(again, lentCount * 2);
        }
        lent[lentCount] = t;
        again[lentCount] = relent;
        t.lentAt = lentCount;
        lentKinds[lentCount++] = k;
        if (source == null) lentBytes += 4L * k.size;
        return t;
    }

    /** Rebuilds the hash table over {@link #kinds} with {@code size} slots (a power of two; the same size reuses it). */
    private void rehash(int size) {
        if (size == table.length) Arrays.fill(table, null);
        else table = new Kind[size];
        for (int i = 0; i < kindCount; i++) {
            Kind k = kinds[i];
            int slot = k.hash & (size - 1);
            while (table[slot] != null) slot = (slot + 1) & (size - 1);
            table[slot] = k;
        }
    }
}
