package dev.kiln.serve;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Dynamic batching for one model version: request threads {@link #submit} samples and wait on a future;
 * one worker thread takes the oldest request, adds whatever else is queued up to {@code maxBatchSize}
 * samples (waiting at most {@code maxQueueDelay} for more), runs one forward pass and answers each request
 * with its rows. One forward pass over 64 samples costs little more than over one, so under load this
 * multiplies throughput; under light load the delay bounds what a lone request pays.
 *
 * <p>The queue is bounded: {@link #submit} returns null when it is full (the server answers 503) or when
 * the batcher is closing. {@link #close} stops taking work, lets the worker finish everything queued, then
 * ends it. A batch the model refuses with an {@link IllegalArgumentException} is run again request by request,
 * so one request's bad input fails only that request. Thread-safe; the worker is the queue's only consumer.
 */
final class Batcher implements AutoCloseable {
    private final Predictor predictor;
    private final String model;
    private final long version;
    private final int maxBatchSize;
    private final long maxDelayNanos;
    private final ArrayBlockingQueue<Job> queue;
    private final Metrics metrics;
    private final Thread worker;
    private volatile boolean closing;

    /** Samples of one request and the future its thread waits on. */
    private record Job(float[][] rows, CompletableFuture<float[][]> result) {}

    Batcher(Predictor predictor, String model, long version, int maxBatchSize, Duration maxQueueDelay, int queueCapacity, Metrics metrics) {
        this.predictor = predictor;
        this.model = model;
        this.version = version;
        this.maxBatchSize = maxBatchSize;
        this.maxDelayNanos = maxQueueDelay.toNanos();
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.metrics = metrics;
        // A platform thread: it runs CPU-bound forward passes back to back, which would pin a carrier anyway.
        this.worker = Thread.ofPlatform().daemon().name("kiln-batcher-" + model + "-v" + version).start(this::run);
    }

    /** Queues samples for prediction; null when the queue is full or the batcher is closing. */
    CompletableFuture<float[][]> submit(float[][] rows) {
        if (closing) return null;
        Job job = new Job(rows, new CompletableFuture<>());
        if (!queue.offer(job)) return null;
        // Closing began meanwhile: the worker may already have left. Take the job back unless someone (the
        // worker, or close()'s final sweep) already took it, in which case it will be answered.
        if (closing && queue.remove(job)) return null;
        return job.result();
    }

    /** Whether {@link #close} has begun (new work is refused). */
    boolean isClosing() {
        return closing;
    }

    int queueDepth() {
        return queue.size();
    }

    private void run() {
        Job carry = null;
        List<Job> batch = new ArrayList<>();
        while (true) {
            Job first;
            try {
                first = carry != null ? carry : queue.poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = null;
                closing = true;
            }
            carry = null;
            if (first == null) {
                if (closing && queue.isEmpty()) break;
                continue;
            }
            batch.clear();
            batch.add(first);
            int rows = first.rows().length;
            long deadline = System.nanoTime() + maxDelayNanos;
            while (rows < maxBatchSize) {
                Job next = queue.poll();
                if (next == null) {
                    long wait = deadline - System.nanoTime();
                    if (wait <= 0 || closing) break;
                    try {
                        next = queue.poll(wait, TimeUnit.NANOSECONDS);
                    } catch (InterruptedException e) {
                        closing = true;
                        break;
                    }
                    if (next == null) break;
                }
                if (rows + next.rows().length > maxBatchSize) {
                    carry = next;   // it starts the next batch: a request's samples are never split
                    break;
                }
                batch.add(next);
                rows += next.rows().length;
            }
            runBatch(batch);
        }
    }

    private void runBatch(List<Job> batch) {
        // Requests that timed out meanwhile were cancelled by their threads: skip their work.
        batch.removeIf(j -> j.result().isDone());
        if (batch.isEmpty()) return;
        int total = 0;
        for (Job j : batch) total += j.rows().length;
        float[][] all = new float[total][];
        int k = 0;
        for (Job j : batch) for (float[] r : j.rows()) all[k++] = r;
        try {
            float[][] out = predictor.predict(all);
            metrics.batch(model, version, total);
            k = 0;
            for (Job j : batch) {
                float[][] mine = new float[j.rows().length][];
                for (int i = 0; i < mine.length; i++) mine[i] = out[k++];
                j.result().complete(mine);
            }
        } catch (IllegalArgumentException e) {
            // The model refused an input (an Embedding given a token id beyond its vocabulary, say): run the
            // requests one by one, so only the request that sent it fails and the others are answered.
            if (batch.size() == 1) {
                batch.getFirst().result().completeExceptionally(e);
                return;
            }
            for (Job j : batch) runAlone(j);
        } catch (RuntimeException | Error e) {
            for (Job j : batch) j.result().completeExceptionally(e);
            if (e instanceof Error err && !(e instanceof OutOfMemoryError)) throw err;
        }
    }

    private void runAlone(Job j) {
        try {
            float[][] out = predictor.predict(j.rows());
            metrics.batch(model, version, j.rows().length);
            j.result().complete(out);
        } catch (RuntimeException | Error e) {
            j.result().completeExceptionally(e);
            if (e instanceof Error err && !(e instanceof OutOfMemoryError)) throw err;
        }
    }

    /** Stops taking requests, answers everything already queued, and waits (bounded) for the worker. */
    @Override
    public void close() {
        closing = true;
        try {
            worker.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Anything still queued (the worker was stuck) fails rather than hanging its caller.
        Job j;
        while ((j = queue.poll()) != null) j.result().completeExceptionally(new IllegalStateException("model version is being unloaded"));
    }
}
