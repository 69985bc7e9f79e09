package dev.kiln.core;

import java.util.function.Supplier;

/**
 * Gradient-recording mode. Recording is on by default; {@link #noGrad} turns it off for the code it runs,
 * on the current thread only (a {@link ScopedValue}, so concurrent inference threads never see each other's
 * mode and nothing leaks when the code throws).
 */
public final class Grad {
    private static final ScopedValue<Boolean> ENABLED = ScopedValue.newInstance();
    private static final ScopedValue.Carrier OFF = ScopedValue.where(ENABLED, Boolean.FALSE);   // made once: no garbage per call

    private Grad() {}

    /** Whether ops on the current thread record the graph. */
    public static boolean isEnabled() {
        return ENABLED.orElse(Boolean.TRUE);
    }

    /** Runs {@code body} with recording off and returns its result. */
    public static <T> T noGrad(Supplier<T> body) {
        return OFF.call(body::get);
    }

    /** Runs {@code body} with recording off. */
    public static void noGrad(Runnable body) {
        OFF.run(body);
    }
}
