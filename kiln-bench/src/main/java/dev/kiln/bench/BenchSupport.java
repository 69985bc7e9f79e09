package dev.kiln.bench;

import dev.kiln.data.DataSource;
import dev.kiln.data.Dataset;
import dev.kiln.data.DatasetNotFoundException;
import dev.kiln.data.FashionMnist;
import dev.kiln.data.TrainTest;
import dev.kiln.nn.callbacks.Callback;
import dev.kiln.nn.callbacks.TrainingState;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * What the {@code bench/compare} mains share ({@link MlpTrainingBench}, {@link CnnBench},
 * {@link LstmClassifierBench}, {@link GptBench}): the RESULT/INFO lines the script greps, a small flag parser, the Fashion-MNIST loader
 * with its fallback to the shipped subset, a step timer for {@code fit}, and heap/GC counters.
 */
final class BenchSupport {
    private BenchSupport() {}

    static void result(String benchmark, String key, double value) {
        System.out.println(String.format(Locale.ROOT, "RESULT kiln %s %s=%.1f", benchmark, key, value));
    }

    static void info(String text) {
        System.out.println("INFO kiln " + text);
    }

    static void jvmInfo() {
        info("jdk=" + Runtime.version() + " kiln.threads=" + dev.kiln.core.kernel.Parallel.THREADS + " cpus="
                + Runtime.getRuntime().availableProcessors() + " max_heap_mb=" + Runtime.getRuntime().maxMemory() / (1 << 20)
                + " blas=" + dev.kiln.core.kernel.Gemm.backend());
        info("blas_detail=" + dev.kiln.core.kernel.Gemm.backendDetail());
    }

    static void peakRss() {
        long hwm = statusKb("VmHWM");
        if (hwm >= 0) result("process", "peak_rss_mb", hwm / 1024.0);
    }

    /** A field of {@code /proc/self/status} in kB (e.g. VmHWM, the peak resident set), or -1 off Linux. */
    static long statusKb(String field) {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** "--flag value" pairs into a map (flags without a value map to "true"); unknown flags are the caller's to reject. */
    static Map<String, String> flags(String[] args, String usage, java.util.Set<String> valued, java.util.Set<String> bare) {
        Map<String, String> m = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                System.out.println(usage);
                System.exit(0);
            } else if (valued.contains(a)) {
                if (i + 1 >= args.length) fail(a + " needs a value\n" + usage);
                m.put(a, args[++i]);
            } else if (bare.contains(a)) {
                m.put(a, "true");
            } else {
                fail("unknown argument '" + a + "'\n" + usage);
            }
        }
        return m;
    }

    static void fail(String message) {
        System.err.println(message);
        System.exit(2);
    }

    static int intFlag(Map<String, String> f, String flag, int dflt) {
        return f.containsKey(flag) ? Integer.parseInt(f.get(flag)) : dflt;
    }

    static double doubleFlag(Map<String, String> f, String flag, double dflt) {
        return f.containsKey(flag) ? Double.parseDouble(f.get(flag)) : dflt;
    }

    /** Fashion-MNIST's training set from {@code data} (or the usual places), else the shipped subset; says which on an INFO line. */
    static Dataset fashionMnistTrain(Path data, boolean subset) {
        long t0 = System.nanoTime();
        TrainTest tt;
        String which;
        if (subset) {
            tt = FashionMnist.subset();
            which = "subset (shipped in kiln-data, asked for with --subset)";
        } else {
            try {
                DataSource src = data != null ? DataSource.folder(data) : DataSource.defaults();
                tt = FashionMnist.load(src);
                which = "full (" + FashionMnist.locate(src).getFirst().getParent() + ")";
            } catch (DatasetNotFoundException e) {
                tt = FashionMnist.subset();
                which = "subset (shipped in kiln-data; the full set was not found: apt-get install dataset-fashion-mnist)";
            }
        }
        info(String.format(Locale.ROOT, "data=fashion-mnist %s train=%d load_s=%.2f rss_after_load_mb=%.1f",
                which, tt.train().size(), (System.nanoTime() - t0) / 1e9, statusKb("VmRSS") / 1024.0));
        return tt.train();
    }

    /**
     * Timestamps {@code fit}: starts the clock after {@code warmup} steps, stops it (and the fit) after
     * {@code timed} more. A time cap ends the warm-up, and separately the timed window, early.
     */
    static final class StepTimer implements Callback {
        private final int warmup;
        private final int timed;
        private final int batch;
        private final long capNanos;
        boolean done;
        boolean capped;
        int warmupSteps;
        int timedSteps;
        long samples;
        long nanos;
        long allocBytes;
        long mainAllocBytes;   // the training thread alone, without the kernel pool's threads
        long lateAllocBytes;   // the timed window's second half only: the JIT has long compiled the step by then
        int lateSteps;
        // The least a block of STEADY_BLOCK steps allocated in the second half, per step: what a step allocates once
        // compiled, without one-time events inside the half (the first epoch's short last batch recompiles the conv
        // kernels for its shape, and the CNN window holds it: ~2 MB a step for ~100 steps, then ~30 B).
        double steadyAllocPerStep = Double.NaN;
        private long block0;
        static final int STEADY_BLOCK = 100;
        long gcCount;
        long gcMillis;
        double loss;
        double accuracy;
        private boolean timing;
        private long trainStart, t0, alloc0, mainAlloc0, gcCount0, gcMillis0, lateAlloc0;

        StepTimer(int warmup, int timed, int batch, double capSeconds) {
            this.warmup = warmup;
            this.timed = timed;
            this.batch = batch;
            this.capNanos = (long) (capSeconds * 1e9);
        }

        @Override
        public void onTrainBegin(TrainingState state) {
            trainStart = System.nanoTime();
            if (warmup == 0) start();
        }

        @Override
        public void onBatchEnd(int batchIndex, Map<String, Double> logs, TrainingState state) {
            long now = System.nanoTime();
            if (!timing) {
                warmupSteps++;
                if (warmupSteps >= warmup || now - trainStart > capNanos) start();
                return;
            }
            timedSteps++;
            samples += Math.min(batch, state.samples() - batchIndex * batch);
            if (timedSteps == timed / 2) lateAlloc0 = block0 = Memory.totalAllocated();
            if (timedSteps > timed / 2 && (timedSteps - timed / 2) % STEADY_BLOCK == 0) {
                long a = Memory.totalAllocated();
                double perStep = (double) (a - block0) / STEADY_BLOCK;
                if (!(perStep >= steadyAllocPerStep)) steadyAllocPerStep = perStep;   // NaN at first
                block0 = a;
            }
            if (timedSteps == timed || now - t0 > capNanos) {
                lateSteps = timed >= 2 && timedSteps > timed / 2 ? timedSteps - timed / 2 : 0;
                lateAllocBytes = lateSteps > 0 ? Memory.totalAllocated() - lateAlloc0 : 0;
                nanos = now - t0;
                allocBytes = Memory.totalAllocated() - alloc0;
                mainAllocBytes = Memory.threadAllocated() - mainAlloc0;
                gcCount = Memory.gcCount() - gcCount0;
                gcMillis = Memory.gcMillis() - gcMillis0;
                loss = logs.getOrDefault("loss", Double.NaN);
                accuracy = logs.getOrDefault("accuracy", Double.NaN);
                capped = timedSteps < timed;
                done = true;
                state.requestStop("benchmark window done");
            }
        }

        private void start() {
            timing = true;
            gcCount0 = Memory.gcCount();
            gcMillis0 = Memory.gcMillis();
            mainAlloc0 = Memory.threadAllocated();
            alloc0 = Memory.totalAllocated();
            t0 = System.nanoTime();
        }

        /** The RESULT and INFO lines for a finished window, named {@code name}. */
        void report(String name) {
            if (!done) throw new IllegalStateException("the timed window did not complete: fit ran " + timedSteps + " of " + timed + " timed steps");
            double seconds = nanos / 1e9;
            result(name, "samples_per_s", samples / seconds);
            result(name, "ms_per_step", seconds * 1e3 / timedSteps);
            result(name, "alloc_bytes_per_step", (double) allocBytes / timedSteps);
            result(name, "main_thread_alloc_bytes_per_step", (double) mainAllocBytes / timedSteps);
            if (lateSteps > 0) result(name, "late_alloc_bytes_per_step", (double) lateAllocBytes / lateSteps);
            if (!Double.isNaN(steadyAllocPerStep)) result(name, "steady_alloc_bytes_per_step", steadyAllocPerStep);
            info(String.format(Locale.ROOT, "%s warmup_steps=%d timed_steps=%d timed_s=%.2f capped=%b gc_count=%d gc_ms=%d loss=%.4f accuracy=%.4f"
                            + " late_alloc=over the last %d timed steps (after %d steps in all), all threads; steady_alloc=the least %d-step block of them",
                    name, warmupSteps, timedSteps, seconds, capped, gcCount, gcMillis, loss, accuracy, lateSteps, warmupSteps + timedSteps - lateSteps,
                    STEADY_BLOCK));
        }
    }

    /** Heap allocation and GC counters from the platform MXBeans. */
    static final class Memory {
        private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

        static long totalAllocated() {
            return THREADS.getTotalThreadAllocatedBytes();
        }

        static long threadAllocated() {
            return THREADS.getCurrentThreadAllocatedBytes();
        }

        static long gcCount() {
            long c = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) c += Math.max(0, gc.getCollectionCount());
            return c;
        }

        static long gcMillis() {
            long c = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) c += Math.max(0, gc.getCollectionTime());
            return c;
        }
    }
}
