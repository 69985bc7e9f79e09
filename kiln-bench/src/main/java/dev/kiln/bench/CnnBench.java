package dev.kiln.bench;

import static dev.kiln.bench.BenchSupport.doubleFlag;
import static dev.kiln.bench.BenchSupport.info;
import static dev.kiln.bench.BenchSupport.intFlag;
import static dev.kiln.bench.BenchSupport.result;

import dev.kiln.core.Tensor;
import dev.kiln.data.Dataset;
import dev.kiln.nn.FitOptions;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.ActivationLayer;
import dev.kiln.nn.layers.BatchNormalization;
import dev.kiln.nn.layers.Conv2D;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.layers.MaxPooling2D;
import dev.kiln.nn.layers.Reshape;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tutorial CNN (issue 4) on Fashion-MNIST for {@code bench/compare cnn}: Reshape(28,28,1) →
 * Conv2D(32,3,relu) → MaxPool(2) → Conv2D(64,3,relu) → MaxPool(2) → Conv2D(64,3,relu) → Flatten →
 * Dense(64,relu) → Dense(10), Adam 1e-3, from logits, as {@code examples/FashionMnistCnn.java}. Measures
 * training samples/s at one batch size (warm-up steps untimed), single-image predict latency and batch-256
 * predict throughput. Its PyTorch twin is {@code bench/torch_cnn.py}; both print the same RESULT lines. With
 * {@code --batchnorm}, each convolution is followed by BatchNormalization before its ReLU ({@code bench/compare cnn-bn}).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx512m \
 *     -cp 'kiln-bench/target/kiln-bench-0.1.0-SNAPSHOT.jar:kiln-bench/target/lib/*' \
 *     dev.kiln.bench.CnnBench [--batch 64] [--warmup 60] [--steps 2000] [--max-seconds 25] [--data DIR | --subset] [--batchnorm]
 * </pre>
 */
public final class CnnBench {
    private CnnBench() {}

    static final String USAGE = """
            usage: CnnBench [--batch 64] [--warmup 60] [--steps 2000] [--max-seconds 25] [--data DIR | --subset]
                            [--infer-warmup 300] [--infer-iters 1000] [--infer-seconds 3] [--seed 42] [--batchnorm]
              --batchnorm       each convolution as Conv2D (linear) -> BatchNormalization -> ReLU (bench/compare cnn-bn)
              --warmup/--steps  untimed, then timed training steps; --max-seconds caps each of the two windows
              --infer-*         single-image latency: warm-up and measured calls; batch-256: seconds measured""";

    public static void main(String[] args) {
        Map<String, String> f = BenchSupport.flags(args, USAGE,
                Set.of("--batch", "--warmup", "--steps", "--max-seconds", "--data", "--infer-warmup", "--infer-iters", "--infer-seconds", "--seed"),
                Set.of("--subset", "--batchnorm"));
        int batch = intFlag(f, "--batch", 64), warmup = intFlag(f, "--warmup", 60), steps = intFlag(f, "--steps", 2000);
        double maxSeconds = doubleFlag(f, "--max-seconds", 25);
        long seed = intFlag(f, "--seed", 42);
        BenchSupport.jvmInfo();
        Dataset data = BenchSupport.fashionMnistTrain(f.containsKey("--data") ? Path.of(f.get("--data")) : null, f.containsKey("--subset"));

        boolean bn = f.containsKey("--batchnorm");
        Model model = bn ? newBatchNormModel() : newModel();
        int stepsPerEpoch = data.numBatches(batch);
        BenchSupport.StepTimer timer = new BenchSupport.StepTimer(warmup, steps, batch, maxSeconds);
        model.fit(data, new FitOptions((warmup + steps) / stepsPerEpoch + 2, batch).withShuffle(true).withSeed(seed).withVerbose(false), timer);
        timer.report("cnn_train_b" + batch);

        infer(model, data, intFlag(f, "--infer-warmup", 300), intFlag(f, "--infer-iters", 1000), doubleFlag(f, "--infer-seconds", 3));
        BenchSupport.peakRss();
    }

    static Model newModel() {
        Sequential m = new Sequential(new Reshape(28, 28, 1),
                new Conv2D(32, 3, Activation.RELU), new MaxPooling2D(2),
                new Conv2D(64, 3, Activation.RELU), new MaxPooling2D(2),
                new Conv2D(64, 3, Activation.RELU),
                new Flatten(), new Dense(64, Activation.RELU), new Dense(10));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        return m;
    }

    /**
     * The tutorial CNN with each convolution as Conv2D (linear) → BatchNormalization → ReLU, the common Keras block
     * (BatchNormalization's defaults: momentum 0.99, epsilon 1e-3); the pooling and the head as in {@link #newModel}.
     */
    static Model newBatchNormModel() {
        Sequential m = new Sequential(new Reshape(28, 28, 1),
                new Conv2D(32, 3, Activation.LINEAR), new BatchNormalization(), new ActivationLayer(Activation.RELU), new MaxPooling2D(2),
                new Conv2D(64, 3, Activation.LINEAR), new BatchNormalization(), new ActivationLayer(Activation.RELU), new MaxPooling2D(2),
                new Conv2D(64, 3, Activation.LINEAR), new BatchNormalization(), new ActivationLayer(Activation.RELU),
                new Flatten(), new Dense(64, Activation.RELU), new Dense(10));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        return m;
    }

    private static void infer(Model model, Dataset data, int inferWarmup, int inferIters, double inferSeconds) {
        Tensor all = data.features();   // (N, 28, 28)
        int n = Math.min(256, data.size());
        Tensor[] singles = new Tensor[n];
        for (int i = 0; i < n; i++) singles[i] = all.slice(0, i, i + 1).copy();
        for (int i = 0; i < inferWarmup; i++) model.predict(singles[i % n]);
        long[] lat = new long[inferIters];
        for (int i = 0; i < lat.length; i++) {
            long t = System.nanoTime();
            model.predict(singles[i % n]);
            lat[i] = System.nanoTime() - t;
        }
        Arrays.sort(lat);
        result("cnn_infer_b1", "p50_us", lat[lat.length / 2] / 1e3);
        result("cnn_infer_b1", "p99_us", lat[(int) (lat.length * 0.99)] / 1e3);

        int batches = Math.max(1, Math.min(8, data.size() / 256));
        List<Tensor> xs = new ArrayList<>();
        for (int i = 0; i < batches; i++) xs.add(all.slice(0, i * 256, Math.min(data.size(), (i + 1) * 256)).copy());
        long deadline = System.nanoTime() + (long) (inferSeconds * 0.3e9);
        for (int i = 0; System.nanoTime() < deadline; i++) model.predict(xs.get(i % batches));
        long samples = 0;
        long t0 = System.nanoTime(), end = t0 + (long) (inferSeconds * 1e9);
        int calls = 0;
        while (System.nanoTime() < end) {
            Tensor x = xs.get(calls++ % batches);
            model.predict(x);
            samples += x.shape(0);
        }
        result("cnn_infer_b256", "samples_per_s", samples / ((System.nanoTime() - t0) / 1e9));
        info("cnn_infer_b256 calls=" + calls);
    }
}
