package dev.kiln.core.kernel;

import java.util.ArrayDeque;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The one worker pool kernels use, sized to the cores. Threads live inside kernels: the graph stays
 * single-threaded, and small work runs on the caller's thread so it never pays for a hand-off.
 *
 * <p>No garbage per call: a parallel call borrows a {@link Job} (its chunk tasks made once) from a free list and
 * gives it back, so once warmed up a training step's kernels allocate no tasks, arrays or wait nodes. The caller
 * runs the first chunk itself, then waits for the pool's workers to finish theirs: a bounded spin of at most
 * {@link #SPIN_NANOS}, then parking. Calls from inside the pool (a kernel a chunk calls) run inline, so kernels never
 * wait on the workers they occupy.
 */
public final class Parallel {
    /** Worker count; {@code -Dkiln.threads=N} overrides the core count. */
    public static final int THREADS = Math.max(1, Integer.getInteger("kiln.threads", Runtime.getRuntime().availableProcessors()));
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;
    /** Whether the pool's workers and the caller occupy every core, leaving none to the JIT compiler's threads. */
    private static final boolean TAKES_EVERY_CORE = POOL != null && THREADS >= Runtime.getRuntime().availableProcessors();
    /** Idle jobs; one per caller thread that was ever inside {@link #forRange} at the same time as others. */
    private static final ArrayDeque<Job> FREE = new ArrayDeque<>();
    private static final AtomicInteger JOBS_MADE = new AtomicInteger();
    /**
     * How long the caller spins for its workers' chunks before parking. Chunks are split evenly, so the workers
     * usually finish within microseconds of the caller; parking and being unparked costs tens of microseconds, which
     * made a two-thread 32×784·784×128 product slower (71 GFLOP/s) than one thread (85), and the spin brings it to
     * 128. Bounded, and only while this call's own chunks run, so it never spins against another pool.
     */
    static final long SPIN_NANOS = 50_000;

    /** A body that processes the half-open index range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private Parallel() {}

    /**
     * Splits [0, n) into at most {@link #THREADS} chunks of at least {@code minChunk} and runs them in
     * parallel; runs inline when one chunk would do. An exception thrown by any chunk is rethrown here once every
     * chunk has finished (so no chunk is still writing when the caller sees it); further ones are suppressed on it.
     */
    public static void forRange(int n, int minChunk, RangeBody body) {
        int chunks = Math.min(THREADS, Math.max(1, n / Math.max(1, minChunk)));
        if (chunks <= 1 || POOL == null || ForkJoinTask.inForkJoinPool()) {
            body.run(0, n);
            return;
        }
        Job job = borrow();
        try {
            job.run(n, chunks, body);
        } finally {
            giveBack(job);
        }
    }

    /**
     * Whether the JIT compiler has finished a compilation in the last 20 ms while this pool takes every core, so a
     * second worker would compete with it ({@link CompilerActivity}); false with one thread, a pool smaller than the
     * machine, or a JVM that does not report compilation time.
     */
    static boolean compilerBusy() {
        return TAKES_EVERY_CORE && CompilerActivity.JVM != null && CompilerActivity.JVM.busy();
    }

    /** How many jobs the pool has ever made: stops growing once every concurrent caller has had one (for tests). */
    static int jobsMade() {
        return JOBS_MADE.get();
    }

    private static Job borrow() {
        synchronized (FREE) {
            Job j = FREE.pollFirst();
            if (j != null) return j;
        }
        JOBS_MADE.incrementAndGet();
        return new Job();
    }

    private static void giveBack(Job job) {
        synchronized (FREE) {
            FREE.addFirst(job);
        }
    }

    /**
     * One parallel call's state, reused across calls by one caller at a time. {@code pending} counts the chunks
     * handed to the pool that have not finished; the chunk that brings it to zero unparks the waiting caller.
     * Only when it reads zero does the caller return the job, so no worker still touches a job being reused.
     */
    private static final class Job {
        final Chunk[] chunks = new Chunk[THREADS - 1];
        final AtomicInteger pending = new AtomicInteger();
        RangeBody body;       // written before the chunks are submitted (the pool's queue publishes them)
        Thread caller;
        volatile Throwable failure;

        Job() {
            for (int c = 0; c < chunks.length; c++) chunks[c] = new Chunk(this);
        }

        void run(int n, int count, RangeBody body) {
            this.body = body;
            this.caller = Thread.currentThread();
            this.failure = null;
            int step = (n + count - 1) / count;
            pending.set(count - 1);
            for (int c = 1; c < count; c++) {
                Chunk t = chunks[c - 1];
                t.from = Math.min(n, c * step);
                t.to = Math.min(n, t.from + step);
                POOL.execute(t);
            }
            Throwable own = null;
            try {
                body.run(0, Math.min(n, step));
            } catch (Throwable e) {
                own = e;
            }
            // Spin briefly (see SPIN_NANOS), then park until the last chunk unparks us; a spurious return just checks
            // again. An interrupt would make park return at once (a spin), so it is cleared while waiting and restored.
            boolean interrupted = false;
            if (pending.get() != 0) {
                long until = System.nanoTime() + SPIN_NANOS;
                while (pending.get() != 0 && System.nanoTime() < until) Thread.onSpinWait();
            }
            while (pending.get() != 0) {
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
            if (interrupted) Thread.currentThread().interrupt();
            Throwable theirs = failure;
            this.body = null;     // do not pin the caller's arrays while idle
            this.caller = null;
            this.failure = null;
            if (own == null && theirs == null) return;
            Throwable first = own != null ? own : theirs;
            if (own != null && theirs != null) own.addSuppressed(theirs);
            if (first instanceof RuntimeException r) throw r;
            if (first instanceof Error e) throw e;
            throw new IllegalStateException(first);   // RangeBody declares nothing checked; sneaky throws only
        }

        /** Called by a chunk as it finishes, failed or not. */
        void done(Throwable t) {
            if (t != null) {
                synchronized (this) {
                    if (failure == null) failure = t;
                    else if (failure != t) failure.addSuppressed(t);
                }
            }
            Thread waiter = caller;   // read before the decrement: after it the caller may reuse the job
            if (pending.decrementAndGet() == 0) LockSupport.unpark(waiter);
        }
    }

    /**
     * One chunk of a job, submitted to the pool again on each call. Its {@link #exec} returns false: the pool never
     * marks it done, so it can be resubmitted without {@code reinitialize}, and nobody joins it (the job counts).
     */
    private static final class Chunk extends ForkJoinTask<Void> {
        private final Job job;
        int from, to;   // written by the caller before submission

        Chunk(Job job) {
            this.job = job;
        }

        @Override
        protected boolean exec() {
            Throwable failed = null;
            try {
                job.body.run(from, to);
            } catch (Throwable e) {
                failed = e;
            }
            job.done(failed);
            return false;
        }

        @Override
        public Void getRawResult() {
            return null;
        }

        @Override
        protected void setRawResult(Void value) {}
    }
}
