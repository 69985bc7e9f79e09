package dev.kiln.bench;

import static dev.kiln.bench.BenchSupport.result;

import dev.kiln.core.Tensor;
import dev.kiln.data.Dataset;
import dev.kiln.nn.FitOptions;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
 * included) over the timed steps, divided by the steps ({@code alloc_bytes_per_step}), and again over the timed
 * window's second half only ({@code late_alloc_bytes_per_step}): on a busy machine the 300 warm-up steps may end
 * before C2 has compiled the step, and until it has, the interpreter and C1 allocate what escape analysis later
 * removes (boxed Vector API vectors, tens of kB a step), so the late figure is the warmed-up one. {@code fit} reuses
 * its batch buffers, recycles each step's arrays ({@code StepArena}), keeps the backward walk's bookkeeping and the
 * kernel pool's tasks and the GEMM's scratch across steps; what remains is the graph's headers (tensors and their
 * stride arrays, op nodes and their input arrays, the loss's scalar: about 1.9 kB a step).
 * {@code Model.predict} runs its forward pass in an arena too, so a batch-256 call allocates its output and headers.
 * Peak RSS is {@code VmHWM} from {@code /proc/self/status}, so it covers the whole process (JVM, heap, data set);
 * {@code bench/compare} runs this on SerialGC with {@code -Xmx512m}.
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
        BenchSupport.jvmInfo();
        Dataset train = BenchSupport.fashionMnistTrain(opt.data(), opt.subset());

        Model last = null;
        for (int batch : opt.batches()) last = train(train, batch, opt);
        infer(last, train, opt);
        BenchSupport.peakRss();
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
        BenchSupport.StepTimer timer = new BenchSupport.StepTimer(opt.warmup(), timed, batch, opt.maxSeconds());
        FitOptions fit = new FitOptions(epochs, batch).withShuffle(true).withSeed(opt.seed()).withVerbose(false);
        model.fit(data, fit, timer);
        timer.report("mlp_train_b" + batch);
        return model;
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
        long alloc0 = BenchSupport.Memory.totalAllocated();
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
        result("mlp_infer_b256", "alloc_bytes_per_call", (double) (BenchSupport.Memory.totalAllocated() - alloc0) / calls);
    }
}
