package dev.kiln.core.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The one worker pool kernels use, sized to the cores. Threads live inside kernels: the graph stays
 * single-threaded, and small work runs on the caller's thread so it never pays for a hand-off.
 */
public final class Parallel {
    /** Worker count; {@code -Dkiln.threads=N} overrides the core count. */
    public static final int THREADS = Math.max(1, Integer.getInteger("kiln.threads", Runtime.getRuntime().availableProcessors()));
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;

    /** A body that processes the half-open index range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private Parallel() {}

    /**
     * Splits [0, n) into at most {@link #THREADS} chunks of at least {@code minChunk} and runs them in
     * parallel; runs inline when one chunk would do.
     */
    public static void forRange(int n, int minChunk, RangeBody body) {
        int chunks = Math.min(THREADS, Math.max(1, n / Math.max(1, minChunk)));
        if (chunks <= 1 || POOL == null || ForkJoinTask.inForkJoinPool()) {
            body.run(0, n);
            return;
        }
        RecursiveAction[] tasks = new RecursiveAction[chunks - 1];
        int step = (n + chunks - 1) / chunks;
        for (int c = 1; c < chunks; c++) {
            int from = Math.min(n, c * step);
            int to = Math.min(n, from + step);
            tasks[c - 1] = new RecursiveAction() {
                @Override
                protected void compute() {
                    body.run(from, to);
                }
            };
            POOL.execute(tasks[c - 1]);
        }
        body.run(0, Math.min(n, step));
        for (RecursiveAction t : tasks) t.join();
    }
}
