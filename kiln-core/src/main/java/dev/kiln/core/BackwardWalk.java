package dev.kiln.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;

/**
 * One reverse-mode pass of {@link Tensor#backward(Tensor)}: the graph's topological order, then the gradients
 * walked back through it. Its bookkeeping (the order, the visited set, the pending gradients, the DFS stack) lives
 * in fields that are cleared, not dropped, after each pass, so a training step's {@link StepArena} keeps one walk
 * and a warmed-up backward allocates none of it again. {@link IdentityHashMap} stores keys and values in one flat
 * array (no entry objects), so cleared maps are reused as they are.
 *
 * <p>Not thread-safe; one pass at a time. {@link #borrow} hands out the arena's walk unless it is already in use
 * (a backward started from inside another's op), and otherwise a fresh one.
 */
final class BackwardWalk implements Runnable {
    private static final Tensor[] NO_INPUTS = {};

    private final ArrayList<Tensor> order = new ArrayList<>();
    private final IdentityHashMap<Tensor, Boolean> seen = new IdentityHashMap<>();
    private final IdentityHashMap<Tensor, Tensor> grads = new IdentityHashMap<>();
    // Sums this walk created itself: nothing else holds them, so further contributions are added in place.
    private final IdentityHashMap<Tensor, Boolean> ownSums = new IdentityHashMap<>();
    // How many pending gradients (values of grads) use each storage array: one tensor can be handed to several inputs
    // (add, sub, where) or viewed (reshape). A gradient whose storage no pending one uses is handed back to the step's
    // arena once consumed. Counts stay small, so the boxed Integers are the JDK's cached ones.
    private final IdentityHashMap<float[], Integer> holders = new IdentityHashMap<>();
    // A consumed gradient whose storage pending views still use (reshape's backward views its gradient): it is the
    // storage's owner (consumed before any view of it exists), handed back when the last of them is done.
    private final IdentityHashMap<float[], Tensor> consumed = new IdentityHashMap<>();
    private Tensor rootGrad;
    private Tensor[] spent = new Tensor[4];   // a node's input gradients added into a pending one: read no more
    private Tensor[] stack = new Tensor[16];   // DFS path and, per level, the next input to visit
    private int[] next = new int[16];
    private boolean busy;

    /** The current arena's walk when it is free, else a fresh one (outside training steps, or nested). */
    static BackwardWalk borrow() {
        StepArena arena = StepArena.current();
        if (arena != null && !arena.walk.busy) return arena.walk;
        return new BackwardWalk();
    }

    /** Back-propagates {@code dRoot} from {@code root} into every leaf that requires gradients. */
    void backward(Tensor root, Tensor dRoot) {
        busy = true;
        try {
            topologicalOrder(root);
            grads.put(root, dRoot);
            hold(dRoot);
            rootGrad = dRoot;
            Grad.noGrad(this);
        } finally {
            // Drop every reference: the step's tensors must not outlive it through the arena's walk.
            order.clear();
            seen.clear();
            grads.clear();
            ownSums.clear();
            holders.clear();
            consumed.clear();
            rootGrad = null;
            Arrays.fill(stack, null);
            busy = false;
        }
    }

    /** Whether no pass is running and no tensor of a past pass is still referenced (for tests). */
    boolean isIdle() {
        if (busy || !order.isEmpty() || !seen.isEmpty() || !grads.isEmpty() || !ownSums.isEmpty() || !holders.isEmpty()
                || !consumed.isEmpty() || rootGrad != null) return false;
        for (Tensor t : stack) if (t != null) return false;
        return true;
    }

    /** The reverse walk (runs with recording off); {@link #order} and {@link #grads} are set up by {@link #backward}. */
    @Override
    public void run() {
        StepArena arena = StepArena.current();
        for (int i = order.size() - 1; i >= 0; i--) {
            Tensor t = order.get(i);
            Tensor g = grads.remove(t);
            if (g == null) continue;
            drop(g);
            ownSums.remove(g);   // handed on from here (backward may pass it to several inputs): never mutate it again
            if (t.creator == null) {
                t.accumulateGrad(g);   // a copy or a sum into the leaf's own gradient: g is not kept
                if (arena != null) done(arena, g, true);
                continue;
            }
            Tensor[] inputs = t.creator.inputs;
            Tensor[] dInputs = t.creator.backward(g);
            int spentCount = 0;
            for (int k = 0; k < inputs.length; k++) {
                Tensor in = inputs[k];
                if (in == null || !in.requiresGrad() || dInputs[k] == null) continue;
                Tensor dIn = dInputs[k];
                if (!Shape.equal(dIn.shape, in.shape)) {
                    throw new IllegalStateException(t.creator.getClass().getSimpleName() + " produced gradient of shape "
                            + Shape.str(dIn.shape) + " for input of shape " + Shape.str(in.shape));
                }
                Tensor prev = grads.get(in);
                if (prev == null) {
                    grads.put(in, dIn);
                    hold(dIn);
                } else if (ownSums.containsKey(prev)) {
                    prev.addInPlace(dIn);
                    spentCount = spend(dIn, spentCount);
                } else {
                    Tensor sum = prev.add(dIn);
                    ownSums.put(sum, Boolean.TRUE);
                    grads.put(in, sum);
                    drop(prev);
                    hold(sum);
                    spentCount = spend(prev, spend(dIn, spentCount));
                }
            }
            // Only now, with every input's gradient in place: one tensor may go to several inputs.
            for (int k = 0; k < spentCount; k++) {
                if (arena != null && spent[k].f != g.f) done(arena, spent[k], false);   // g's own storage: just below
                spent[k] = null;
            }
            if (arena != null) done(arena, g, true);   // read by the only op that reads it
        }
    }

    private int spend(Tensor dead, int count) {
        if (count == spent.length) spent = Arrays.copyOf(spent, count * 2);
        spent[count] = dead;
        return count + 1;
    }

    /**
     * {@code g} will not be read again: once no pending gradient uses its storage, the storage's owner goes back to the
     * step's arena for the rest of the step to reuse (the caller's root gradient stays the caller's).
     */
    private void done(StepArena arena, Tensor g, boolean wasConsumed) {
        if (g.f == null || (rootGrad != null && g.f == rootGrad.f)) return;
        if (holders.containsKey(g.f)) {
            if (wasConsumed) consumed.putIfAbsent(g.f, g);
            return;
        }
        Tensor owner = consumed.remove(g.f);
        arena.releaseEarly(owner != null ? owner : g);   // false for a view whose owner never was a pending gradient
    }

    private void hold(Tensor g) {
        if (g.f == null) return;
        Integer n = holders.get(g.f);
        holders.put(g.f, n == null ? 1 : n + 1);
    }

    private void drop(Tensor g) {
        if (g.f == null) return;
        Integer n = holders.get(g.f);
        if (n == null) return;
        if (n == 1) holders.remove(g.f);
        else holders.put(g.f, n - 1);
    }

    /** Fills {@link #order} with every tensor {@code root} depends on that requires gradients, inputs before outputs. */
    private void topologicalOrder(Tensor root) {
        int depth = 0;
        stack[0] = root;
        next[0] = 0;
        seen.put(root, Boolean.TRUE);
        while (depth >= 0) {
            Tensor t = stack[depth];
            Tensor[] inputs = t.creator == null ? NO_INPUTS : t.creator.inputs;
            int k = next[depth];
            if (k < inputs.length) {
                next[depth] = k + 1;
                Tensor in = inputs[k];
                if (in != null && in.requiresGrad() && seen.put(in, Boolean.TRUE) == null) {
                    if (++depth == stack.length) {
                        stack = Arrays.copyOf(stack, depth * 2);
                        next = Arrays.copyOf(next, depth * 2);
                    }
                    stack[depth] = in;
                    next[depth] = 0;
                }
            } else {
                stack[depth--] = null;
                order.add(t);
            }
        }
    }
}
