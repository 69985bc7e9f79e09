package dev.kiln.core;

import java.util.function.Supplier;

/**
 * Gradient-recording mode. Recording is on by default; {@link #noGrad} turns it off for the code it runs,
 * on the current thread only (see {@link ThreadMode}: concurrent inference threads never see each other's
 * mode, and the mode is restored when the code throws). Entering it allocates nothing.
 */
public final class Grad {
    private Grad() {}

    /** Whether ops on the current thread record the graph. */
    public static boolean isEnabled() {
        return !ThreadMode.get().gradOff;
    }

    /** Runs {@code body} with recording off and returns its result. */
    public static <T> T noGrad(Supplier<T> body) {
        ThreadMode mode = ThreadMode.get();
        boolean before = mode.gradOff;
        mode.gradOff = true;
        try {
            return body.get();
        } finally {
            mode.gradOff = before;
        }
    }

    /** Runs {@code body} with recording off. */
    public static void noGrad(Runnable body) {
        ThreadMode mode = ThreadMode.get();
        boolean before = mode.gradOff;
        mode.gradOff = true;
        try {
            body.run();
        } finally {
            mode.gradOff = before;
        }
    }
}
