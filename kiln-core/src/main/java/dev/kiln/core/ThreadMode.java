package dev.kiln.core;

/**
 * What ops on the current thread need to know about the code that called them: the {@link StepArena} their results
 * take storage from (null: none) and whether {@link Grad} recording is off.
 *
 * <p>One mutable holder per thread, set and restored in try/finally by {@link StepArena#run}, {@link StepArena#outside}
 * and {@link Grad#noGrad}, rather than {@link ScopedValue} bindings: each binding allocates a snapshot object, and a
 * training step enters two (its arena and backward's no-grad), which was the last garbage of a warmed-up MLP step
 * besides the graph itself. The guarantees are the same: per thread, so concurrent inference threads never see each
 * other's mode, and restored on every exit, so nothing leaks when the code throws.
 */
final class ThreadMode {
    private static final ThreadLocal<ThreadMode> CURRENT = ThreadLocal.withInitial(ThreadMode::new);

    StepArena arena;
    boolean gradOff;

    private ThreadMode() {}

    static ThreadMode get() {
        return CURRENT.get();
    }
}
