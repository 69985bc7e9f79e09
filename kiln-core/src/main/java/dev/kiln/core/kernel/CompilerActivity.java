package dev.kiln.core.kernel;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * Whether the JIT compiler is at work: it finished a compilation less than {@link #QUIET_NANOS} ago, read from the
 * JVM's running total of compilation time ({@link CompilationMXBean#getTotalCompilationTime}, which grows as each
 * compilation ends; 36 ns a read).
 *
 * <p>Why kernels ask: while a training run warms up, C2 compiles kernels for a few seconds, and the code it replaces
 * (the interpreter, C1) boxes every Vector API vector, so the sooner the compiler is done the better. When Kiln's pool
 * takes every core, a product split over two threads leaves the compiler thread no core of its own. On this 2-core
 * machine the MLP at batch 32 reached its steady 0.23 ms a step after ~750 steps on one thread and only after ~4,500
 * on two, and steady it is barely faster on two (142k against 135k samples/s). So while the compiler is busy,
 * products too small to gain much from a second thread stay on one ({@code Gemm.splits}); once it is quiet they split
 * as before. The answer only moves work between threads: a product gives the same bits whatever its split.
 */
final class CompilerActivity {
    /** A compilation that ended this recently counts as the compiler still being at work. */
    static final long QUIET_NANOS = 20_000_000;

    /** The JVM's: total compilation milliseconds, or null when the JVM does not report them (-Xint). */
    static final CompilerActivity JVM = ofJvm();

    private final LongSupplier totalMillis;
    private final LongSupplier nanoTime;
    // Written by whichever thread asks; two callers racing only move the quiet window by one reading.
    private volatile long lastTotal = Long.MIN_VALUE;
    private volatile long changedAt;

    CompilerActivity(LongSupplier totalMillis, LongSupplier nanoTime) {
        this.totalMillis = totalMillis;
        this.nanoTime = nanoTime;
    }

    private static CompilerActivity ofJvm() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) return null;
        return new CompilerActivity(jit::getTotalCompilationTime, System::nanoTime);
    }

    /** True while compilations keep ending: the last one less than {@link #QUIET_NANOS} before now. */
    boolean busy() {
        long now = nanoTime.getAsLong();
        long total = totalMillis.getAsLong();
        if (total != lastTotal) {
            lastTotal = total;
            changedAt = now;
        }
        return now - changedAt < QUIET_NANOS;
    }
}
