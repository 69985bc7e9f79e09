package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Parallel#forRange}: every index exactly once, nesting, failures, and its jobs reused rather than remade. */
class ParallelTest {

    @Test
    void runsEveryIndexExactlyOnceForManySizes() {
        for (int n = 0; n <= 67; n++) {
            for (int minChunk : new int[] {1, 3, 16, 100}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
                Parallel.forRange(n, minChunk, (from, to) -> {
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertThat(hits.get(i)).as("n=%d minChunk=%d index %d", n, minChunk, i).isEqualTo(1);
            }
        }
    }

    @Test
    void nestedCallsRunInlineAndCoverEverything() {
        int outer = 8, inner = 50;
        AtomicIntegerArray hits = new AtomicIntegerArray(outer * inner);
        Parallel.forRange(outer, 1, (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                int row = o;
                Parallel.forRange(inner, 1, (i0, i1) -> {
                    for (int i = i0; i < i1; i++) hits.incrementAndGet(row * inner + i);
                });
            }
        });
        for (int i = 0; i < outer * inner; i++) assertThat(hits.get(i)).isEqualTo(1);
    }

    @Test
    void aFailureInAWorkerChunkReachesTheCallerAfterAllChunksFinished() {
        assumeThat(Parallel.THREADS).as("needs a pool").isGreaterThan(1);
        AtomicIntegerArray hits = new AtomicIntegerArray(Parallel.THREADS);
        assertThatThrownBy(() -> Parallel.forRange(Parallel.THREADS, 1, (from, to) -> {
            hits.incrementAndGet(from);
            if (from > 0) throw new IllegalArgumentException("chunk " + from);
        })).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("chunk ");
        for (int i = 0; i < Parallel.THREADS; i++) assertThat(hits.get(i)).isEqualTo(1);
        // The job went back to the free list in a clean state: the next call works.
        AtomicIntegerArray again = new AtomicIntegerArray(100);
        Parallel.forRange(100, 1, (from, to) -> {
            for (int i = from; i < to; i++) again.incrementAndGet(i);
        });
        for (int i = 0; i < 100; i++) assertThat(again.get(i)).isEqualTo(1);
    }

    @Test
    void aFailureInTheCallersOwnChunkIsRethrown() {
        assertThatThrownBy(() -> Parallel.forRange(64, 1, (from, to) -> {
            if (from == 0) throw new IllegalStateException("first chunk");
        })).isInstanceOf(IllegalStateException.class).hasMessage("first chunk");
    }

    @Test
    void repeatedCallsFromOneThreadReuseOneJob() {
        assumeThat(Parallel.THREADS).as("needs a pool").isGreaterThan(1);
        Parallel.forRange(64, 1, (from, to) -> {});
        int made = Parallel.jobsMade();
        float[] sink = new float[64];
        for (int rep = 0; rep < 2000; rep++) {
            Parallel.forRange(64, 1, (from, to) -> {
                for (int i = from; i < to; i++) sink[i] += 1;
            });
        }
        assertThat(Parallel.jobsMade()).as("jobs made by 2000 more calls from one thread").isEqualTo(made);
        for (float v : sink) assertThat(v).isEqualTo(2000f);
    }

    @Test
    void concurrentCallersEachGetTheirOwnJob() throws Exception {
        int callers = 4, n = 1000;
        ExecutorService ex = Executors.newFixedThreadPool(callers);
        try {
            List<Future<long[]>> results = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                results.add(ex.submit(() -> {
                    long[] sums = new long[200];
                    for (int rep = 0; rep < sums.length; rep++) {
                        long[] part = new long[n];
                        Parallel.forRange(n, 1, (from, to) -> {
                            for (int i = from; i < to; i++) part[i] = i;
                        });
                        for (long v : part) sums[rep] += v;
                    }
                    return sums;
                }));
            }
            for (Future<long[]> f : results) for (long s : f.get()) assertThat(s).isEqualTo((long) n * (n - 1) / 2);
        } finally {
            ex.shutdownNow();
        }
    }

    /**
     * Chunks are claimed, not assigned: with every pool worker blocked inside another call's chunk, a new call still
     * completes, its caller running the chunks no worker started (before, it waited for the blocked workers).
     */
    @Test
    void theCallerRunsChunksNoWorkerHasStarted() throws Exception {
        assumeThat(Parallel.THREADS).as("needs a pool").isGreaterThan(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger blockedWorkers = new AtomicInteger();
        ExecutorService callers = Executors.newFixedThreadPool(Parallel.THREADS);
        ExecutorService newCaller = Executors.newSingleThreadExecutor();
        try {
            // THREADS calls of THREADS chunks whose bodies block: their callers take one chunk each and the pool's
            // THREADS workers the rest, so every worker ends up blocked.
            List<Future<?>> blocking = new ArrayList<>();
            for (int c = 0; c < Parallel.THREADS; c++) {
                blocking.add(callers.submit(() -> Parallel.forRange(Parallel.THREADS, 1, (from, to) -> {
                    if (java.util.concurrent.ForkJoinTask.inForkJoinPool()) blockedWorkers.incrementAndGet();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                })));
            }
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (blockedWorkers.get() < Parallel.THREADS && System.nanoTime() < until) Thread.sleep(1);
            assertThat(blockedWorkers.get()).as("pool workers blocked").isEqualTo(Parallel.THREADS);

            AtomicIntegerArray hits = new AtomicIntegerArray(1000);
            Future<?> call = newCaller.submit(() -> Parallel.forRange(1000, 1, (from, to) -> {
                for (int i = from; i < to; i++) hits.incrementAndGet(i);
            }));
            call.get(10, TimeUnit.SECONDS);   // throws TimeoutException if it waits for the blocked workers
            for (int i = 0; i < 1000; i++) assertThat(hits.get(i)).isEqualTo(1);

            release.countDown();
            for (Future<?> f : blocking) f.get(10, TimeUnit.SECONDS);
            // The tasks the new call queued behind the blocked workers ran late and found nothing to do; the pool is
            // still sound.
            AtomicIntegerArray again = new AtomicIntegerArray(500);
            Parallel.forRange(500, 1, (from, to) -> {
                for (int i = from; i < to; i++) again.incrementAndGet(i);
            });
            for (int i = 0; i < 500; i++) assertThat(again.get(i)).isEqualTo(1);
        } finally {
            release.countDown();
            callers.shutdownNow();
            newCaller.shutdownNow();
        }
    }

    /**
     * Many callers, many short calls of varying size, some failing: with chunks claimed from a shared ticket and pool
     * tasks that may run a call late, every call still covers each index once and reports its own failure only.
     */
    @Test
    void manyCallersManyCallsEachCoveredOnceAndFailuresStayWithTheirCall() throws Exception {
        int callers = 4, calls = 3000;
        ExecutorService ex = Executors.newFixedThreadPool(callers);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                int seed = c;
                results.add(ex.submit(() -> {
                    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
                    int failures = 0;
                    for (int call = 0; call < calls; call++) {
                        int n = r.nextInt(1, 300);
                        int failAt = r.nextInt(10) == 0 ? r.nextInt(n) : -1;
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        try {
                            Parallel.forRange(n, 1 + r.nextInt(40), (from, to) -> {
                                for (int i = from; i < to; i++) {
                                    hits.incrementAndGet(i);
                                    if (i == failAt) throw new IllegalStateException("call " + seed + ":" + failAt);
                                }
                            });
                            if (failAt >= 0) throw new AssertionError("the failure at " + failAt + " was lost");
                        } catch (IllegalStateException e) {
                            assertThat(e).hasMessage("call " + seed + ":" + failAt);
                            failures++;
                            continue;
                        }
                        for (int i = 0; i < n; i++) assertThat(hits.get(i)).as("n=%d index %d", n, i).isEqualTo(1);
                    }
                    return failures;
                }));
            }
            for (Future<Integer> f : results) assertThat(f.get(60, TimeUnit.SECONDS)).isPositive();
        } finally {
            ex.shutdownNow();
        }
    }
}
