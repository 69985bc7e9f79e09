package dev.kiln.bench;

import dev.kiln.core.Tensor;
import dev.kiln.core.kernel.Parallel;
import dev.kiln.data.DataSource;
import dev.kiln.data.Dataset;
import dev.kiln.data.DatasetNotFoundException;
import dev.kiln.data.FashionMnist;
import dev.kiln.data.TrainTest;
import dev.kiln.nn.FitOptions;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.callbacks.Callback;
import dev.kiln.nn.callbacks.TrainingState;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Throughput of the Keras tutorial MLP (Flatten → Dense(128, relu) → Dense(10), Adam 1e-3, sparse categorical
 * cross-entropy from logits, shuffled) on Fashion-MNIST, for comparison with {@code bench/torch_mlp.py}, its
 * PyTorch twin. {@code bench/compare} runs both and prints the table that {@code BENCHMARKS.md} records.
 *
 * <p>Protocol, identical in the twin: for each batch size, a fresh model trains through {@code Model.fit}
 * (the real loop, with its accuracy metric); the first {@code --warmup} steps are not timed (JIT), the next
 * {@code --steps} are (or one epoch's worth with {@code --epoch}). Then single-sample inference latency (p50)
 * and batch-256 inference throughput through {@code Model.predict}. Every measurement is one line
 * {@code RESULT kiln <benchmark> <key>=<value>}; context goes to {@code INFO} lines.
 *
 * <p>Heap allocation is counted with {@code com.sun.management.ThreadMXBean}: all threads (the kernel pool
 * included) over the timed steps, divided by the steps. Peak RSS is {@code VmHWM} from
 * {@code /proc/self/status}, so it covers the whole process (JVM, heap, data set).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'kiln-bench/target/kiln-bench-0.1.0-SNAPSHOT.jar:kiln-bench/target/lib/*' \
 *     dev.kiln.bench.MlpTrainingBench --batch 32,128 [--warmup 300] [--steps 1500 | --epoch] [--data DIR | --subset]
 * </pre>
 */
public final class MlpTrainingBench {
    private MlpTrainingBench() {}

    /** Command-line settings; see {@link #usage()}. */
    record Options(List<Integer> batches, int warmup, int steps, boolean epoch, Path data, boolean subset,
                   int inferWarmup, int inferIters, double inferSeconds, double maxSeconds, long seed) {
        Options {
            if (batches.isEmpty()) throw new IllegalArgumentException("--batch needs at least one batch size");
            for (int b : batches) if (b < 1) throw new IllegalArgumentException("--batch sizes must be >= 1, got " + b);
            if (warmup < 0 || steps < 1) throw new IllegalArgumentException("need --warmup >= 0 and --steps >= 1, got " + warmup + ", " + steps);
            if (!(maxSeconds > 0)) throw new IllegalArgumentException("--max-seconds must be > 0, got " + maxSeconds);
            if (inferWarmup < 0 || inferIters < 1 || !(inferSeconds > 0)) {
                throw new IllegalArgumentException("need --infer-warmup >= 0, --infer-iters >= 1 and --infer-seconds > 0");
            }
        }

        static Options parse(String[] args) {
            List<Integer> batches = List.of(32, 128);
            int warmup = 300, steps = 1500, inferWarmup = 2000, inferIters = 5000;
            double inferSeconds = 3, maxSeconds = 60;
            boolean epoch = false, subset = false;
            Path data = null;
            long seed = 42;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--batch" -> batches = Arrays.stream(value(args, ++i, a).split(",")).map(s -> Integer.parseInt(s.trim())).toList();
                    case "--warmup" -> warmup = Integer.parseInt(value(args, ++i, a));
                    case "--steps" -> steps = Integer.parseInt(value(args, ++i, a));
                    case "--epoch" -> epoch = true;
                    case "--data" -> data = Path.of(value(args, ++i, a));
                    case "--subset" -> subset = true;
                    case "--infer-warmup" -> inferWarmup = Integer.parseInt(value(args, ++i, a));
                    case "--infer-iters" -> inferIters = Integer.parseInt(value(args, ++i, a));
                    case "--infer-seconds" -> inferSeconds = Double.parseDouble(value(args, ++i, a));
                    case "--max-seconds" -> maxSeconds = Double.parseDouble(value(args, ++i, a));
                    case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
                    case "-h", "--help" -> {
                        System.out.println(usage());
                        System.exit(0);
                    }
                    default -> throw new IllegalArgumentException("unknown argument '" + a + "'\n" + usage());
                }
            }
            return new Options(batches, warmup, steps, epoch, data, subset, inferWarmup, inferIters, inferSeconds, maxSeconds, seed);
        }

        private static String value(String[] args, int i, String flag) {
            if (i >= args.length) throw new IllegalArgumentException(flag + " needs a value\n" + usage());
            return args[i];
        }
    }

    static String usage() {
        return """
                usage: MlpTrainingBench [--batch 32,128] [--warmup 300] [--steps 1500 | --epoch] [--data DIR | --subset]
                                        [--max-seconds 60] [--infer-warmup 2000] [--infer-iters 5000] [--infer-seconds 3] [--seed 42]
                  --batch          training batch sizes, comma-separated (one fresh model each)
                  --warmup         untimed training steps first (JIT warm-up)
                  --steps          timed training steps; --epoch times one epoch's worth instead
                  --max-seconds    time cap on the warm-up and, separately, on the timed window (fewer steps are
                                   then timed, and the INFO line says capped=true)
                  --data           folder with the four Fashion-MNIST IDX files (default: the usual places,
                                   e.g. Debian's /usr/share/datasets/fashion-mnist); falls back to the shipped subset
                  --subset         use the 6,000-image subset shipped in kiln-data
                  --infer-*        single-sample latency: warm-up and measured calls; batch-256: seconds measured""";
    }

    public static void main(String[] args) {
        Options opt;
        try {
            opt = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        info("jdk=" + Runtime.version() + " kiln.threads=" + Parallel.THREADS + " cpus=" + Runtime.getRuntime().availableProcessors()
                + " max_heap_mb=" + Runtime.getRuntime().maxMemory() / (1 << 20));
        Dataset train = loadTrain(opt);

        Model last = null;
        for (int batch : opt.batches()) last = train(train, batch, opt);
        infer(last, train, opt);
        long hwm = statusKb("VmHWM");
        if (hwm >= 0) result("process", "peak_rss_mb", hwm / 1024.0);
    }

    // ---------------------------------------------------------------- data

    private static Dataset loadTrain(Options opt) {
        long t0 = System.nanoTime();
        TrainTest tt;
        String which;
        if (opt.subset()) {
            tt = FashionMnist.subset();
            which = "subset (shipped in kiln-data, asked for with --subset)";
        } else {
            try {
                DataSource src = opt.data() != null ? DataSource.folder(opt.data()) : DataSource.defaults();
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

    // ---------------------------------------------------------------- training

    private static Model newModel() {
        Sequential m = new Sequential(new Flatten(), new Dense(128, Activation.RELU), new Dense(10));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        return m;
    }

    private static Model train(Dataset data, int batch, Options opt) {
        Model model = newModel();
        int stepsPerEpoch = data.numBatches(batch);
        int timed = opt.epoch() ? stepsPerEpoch : opt.steps();
        int epochs = (opt.warmup() + timed) / stepsPerEpoch + 2;   // fit stops itself once the timed steps are done
        StepTimer timer = new StepTimer(opt.warmup(), timed, batch, opt.maxSeconds());
        FitOptions fit = new FitOptions(epochs, batch).withShuffle(true).withSeed(opt.seed()).withVerbose(false);
        model.fit(data, fit, timer);
        if (!timer.done) throw new IllegalStateException("the timed window did not complete: fit ran " + timer.timedSteps + " of " + timed + " timed steps");

        String name = "mlp_train_b" + batch;
        int steps = timer.timedSteps;
        double seconds = timer.nanos / 1e9;
        result(name, "samples_per_s", timer.samples / seconds);
        result(name, "ms_per_step", seconds * 1e3 / steps);
        result(name, "alloc_bytes_per_step", (double) timer.allocBytes / steps);
        result(name, "main_thread_alloc_bytes_per_step", (double) timer.mainAllocBytes / steps);
        info(String.format(Locale.ROOT, "%s warmup_steps=%d timed_steps=%d timed_s=%.2f capped=%b gc_count=%d gc_ms=%d loss=%.4f accuracy=%.4f",
                name, timer.warmupSteps, steps, seconds, timer.capped, timer.gcCount, timer.gcMillis, timer.loss, timer.accuracy));
        return model;
    }

    /**
     * Timestamps {@code fit}: starts the clock after {@code warmup} steps, stops it (and the fit) after
     * {@code timed} more. A time cap ends the warm-up, and separately the timed window, early, so one
     * pathologically slow configuration cannot stall a comparison. Runs on the training thread.
     */
    private static final class StepTimer implements Callback {
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
        long mainAllocBytes;
        long gcCount;
        long gcMillis;
        double loss;
        double accuracy;
        private boolean timing;
        private long trainStart, t0, alloc0, mainAlloc0, gcCount0, gcMillis0;

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
            samples += Math.min(batch, state.samples() - batchIndex * batch);   // the last batch of an epoch may be short
            if (timedSteps == timed || now - t0 > capNanos) {
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
    }

    // ---------------------------------------------------------------- inference

    private static void infer(Model model, Dataset data, Options opt) {
        Tensor all = data.features();   // (N, 28, 28), a view of the dataset's storage
        int n = Math.min(256, data.size());

        // Single-sample latency: distinct samples, each its own (1, 28, 28) tensor, as a server would see them.
        Tensor[] singles = new Tensor[n];
        for (int i = 0; i < n; i++) singles[i] = all.slice(0, i, i + 1).copy();
        for (int i = 0; i < opt.inferWarmup(); i++) model.predict(singles[i % n]);
        long[] lat = new long[opt.inferIters()];
        for (int i = 0; i < lat.length; i++) {
            long t = System.nanoTime();
            model.predict(singles[i % n]);
            lat[i] = System.nanoTime() - t;
        }
        Arrays.sort(lat);
        result("mlp_infer_b1", "p50_us", lat[lat.length / 2] / 1e3);
        result("mlp_infer_b1", "p99_us", lat[(int) (lat.length * 0.99)] / 1e3);

        // Batch-256 throughput over a few distinct batches.
        int batches = Math.max(1, Math.min(8, data.size() / 256));
        List<Tensor> xs = new ArrayList<>();
        for (int i = 0; i < batches; i++) xs.add(all.slice(0, i * 256, Math.min(data.size(), (i + 1) * 256)).copy());
        long deadline = System.nanoTime() + (long) (opt.inferSeconds() * 0.3e9);
        for (int i = 0; System.nanoTime() < deadline; i++) model.predict(xs.get(i % batches));   // warm-up
        long samples = 0;
        long alloc0 = Memory.totalAllocated();
        long t0 = System.nanoTime();
        long end = t0 + (long) (opt.inferSeconds() * 1e9);
        int calls = 0;
        while (System.nanoTime() < end) {
            Tensor x = xs.get(calls++ % batches);
            model.predict(x);
            samples += x.shape(0);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        result("mlp_infer_b256", "samples_per_s", samples / seconds);
        result("mlp_infer_b256", "alloc_bytes_per_call", (double) (Memory.totalAllocated() - alloc0) / calls);
    }

    // ---------------------------------------------------------------- reporting

    private static void result(String benchmark, String key, double value) {
        System.out.println(String.format(Locale.ROOT, "RESULT kiln %s %s=%.1f", benchmark, key, value));
    }

    private static void info(String text) {
        System.out.println("INFO kiln " + text);
    }

    /** A field of {@code /proc/self/status} in kB (e.g. VmHWM, the peak resident set), or -1 off Linux. */
    static long statusKb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** Heap allocation and GC counters from the platform MXBeans. */
    private static final class Memory {
        private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

        /** Bytes allocated on the heap by every thread since the JVM started (kernel pool threads included). */
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
