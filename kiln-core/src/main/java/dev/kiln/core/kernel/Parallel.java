package dev.kiln.core.kernel;

import java.util.ArrayDeque;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The one worker pool kernels use, sized to the cores. Threads live inside kernels: the graph stays
 * single-threaded, and small work runs on the caller's thread so it never pays for a hand-off.
 *
 * <p>No garbage per call: a parallel call borrows a {@link Job} (its pool tasks made once) from a free list and
 * gives it back, so once warmed up a training step's kernels allocate no tasks, arrays or wait nodes. Chunks are
 * claimed, not assigned: the caller and the pool tasks take the next unclaimed chunk until none is left, so a chunk
 * no worker has started yet (the worker's core busy with the JIT compiler, the collector or another process) is run
 * by the caller instead of waited for. The caller then waits only for chunks a worker is running: a bounded spin of at
 * most {@link #SPIN_NANOS}, then parking. Calls from inside the pool (a kernel a chunk calls) run inline, so kernels
 * never wait on the workers they occupy.
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
     * One parallel call's state, reused across calls by one caller at a time. {@code ticket} packs the call's chunk
     * count with the next chunk to claim, so a claim is one atomic increment that reads both from the same call: a
     * pool task that runs late (its call long finished, the job idle or serving a later call) either increments a
     * spent ticket, gets an index past its count and does nothing, or claims a chunk of the call now running and runs
     * it like any other taker. The fields a chunk reads (body, n, step, caller) are written before the ticket that
     * publishes them and stay unchanged until every chunk of that call is done, which the claimed one is not.
     * {@code unfinished} counts the call's chunks not yet done; the one that brings it to zero unparks the caller.
     */
    private static final class Job {
        // Index in the low 32 bits (a call's claims, late tasks' included, never carry into the count), count above.
        private static final int INDEX_BITS = 32;
        private static final long INDEX_MASK = (1L << INDEX_BITS) - 1;

        final ChunkTaker[] tasks = new ChunkTaker[THREADS - 1];
        final AtomicLong ticket = new AtomicLong();   // count 0: nothing to claim
        final AtomicInteger unfinished = new AtomicInteger();
        RangeBody body;
        int n, step;
        Thread caller;
        Throwable failure;    // guarded by this

        Job() {
            for (int c = 0; c < tasks.length; c++) tasks[c] = new ChunkTaker(this);
        }

        void run(int n, int count, RangeBody body) {
            this.body = body;
            this.n = n;
            this.step = (n + count - 1) / count;
            this.caller = Thread.currentThread();
            synchronized (this) {
                failure = null;
            }
            unfinished.set(count);
            ticket.set((long) count << INDEX_BITS);   // index 0; publishes the fields above
            // A task still queued from an earlier call (its worker never got to it) serves this call when it runs:
            // submitting it again would only grow the pool's queue. Its exec clears the flag before it claims, and
            // the ticket is set before the flag is read, so either it sees this call's ticket or we resubmit it.
            for (int c = 0; c < count - 1; c++) {
                ChunkTaker t = tasks[c];
                if (!t.queued) {
                    t.queued = true;
                    POOL.execute(t);
                }
            }
            claimAndRun();
            // Spin briefly (see SPIN_NANOS), then park until the last chunk unparks us; a spurious return just checks
            // again. An interrupt would make park return at once (a spin), so it is cleared while waiting and restored.
            boolean interrupted = false;
            if (unfinished.get() != 0) {
                long until = System.nanoTime() + SPIN_NANOS;
                while (unfinished.get() != 0 && System.nanoTime() < until) Thread.onSpinWait();
            }
            while (unfinished.get() != 0) {
                LockSupport.park(this);
                interrupted |= Thread.interrupted();
            }
            if (interrupted) Thread.currentThread().interrupt();
            Throwable first;
            synchronized (this) {
                first = failure;
                failure = null;
            }
            this.body = null;     // do not pin the caller's arrays while idle
            this.caller = null;
            if (first == null) return;
            if (first instanceof RuntimeException r) throw r;
            if (first instanceof Error e) throw e;
            throw new IllegalStateException(first);   // RangeBody declares nothing checked; sneaky throws only
        }

        /** Takes chunks of the current call until none is left; runs each, recording a failure and counting it done. */
        void claimAndRun() {
            while (true) {
                long t = ticket.getAndIncrement();
                long index = t & INDEX_MASK;
                if (index >= t >>> INDEX_BITS) return;
                Thread waiter = caller;   // read before the chunk counts as done: after the last, the job may be reused
                Throwable failed = null;
                try {
                    int from = (int) Math.min(n, index * step);
                    body.run(from, Math.min(n, from + step));
                } catch (Throwable e) {
                    failed = e;
                }
                if (failed != null) {
                    synchronized (this) {
                        if (failure == null) failure = failed;
                        else if (failure != failed) failure.addSuppressed(failed);
                    }
                }
                if (unfinished.decrementAndGet() == 0 && waiter != Thread.currentThread()) LockSupport.unpark(waiter);
            }
        }
    }

    /**
     * A pool task of a job: takes chunks of whatever call the job is serving when it runs. Its {@link #exec} returns
     * false: the pool never marks it done, so it is resubmitted without {@code reinitialize}, and nobody joins it (the
     * job counts chunks, not tasks).
     */
    private static final class ChunkTaker extends ForkJoinTask<Void> {
        private final Job job;
        volatile boolean queued;   // submitted and not yet started

        ChunkTaker(Job job) {
            this.job = job;
        }

        @Override
        protected boolean exec() {
            queued = false;
            job.claimAndRun();
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
