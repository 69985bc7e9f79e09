package dev.kiln.bench;

import static dev.kiln.bench.BenchSupport.doubleFlag;
import static dev.kiln.bench.BenchSupport.info;
import static dev.kiln.bench.BenchSupport.intFlag;

import dev.kiln.core.Rng;
import dev.kiln.data.Dataset;
import dev.kiln.nn.FitOptions;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.Lstm;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.util.Map;
import java.util.Set;

/**
 * The tutorial LSTM text classifier (issue 5) for {@code bench/compare lstm}: Embedding(10000, 16) → LSTM(128)
 * → Dense(1, sigmoid), binary cross-entropy, Adam 1e-3 clipped to global norm 1 (as
 * {@code examples/SpamClassifier.java}), sequences of 100 token ids, batch 128. The data are synthetic:
 * seeded uniform ids in [1, 10000) and random 0/1 labels (the step's cost does not depend on the text, and no
 * id is 0, so there is no padding to mask: the embedding is built without {@code maskZero}, like PyTorch's
 * {@code nn.Embedding}). Measures training samples/s; the twin is {@code bench/torch_lstm.py}.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx512m \
 *     -cp 'kiln-bench/target/kiln-bench-0.1.0-SNAPSHOT.jar:kiln-bench/target/lib/*' \
 *     dev.kiln.bench.LstmClassifierBench [--batch 128] [--seq 100] [--warmup 10] [--steps 400] [--max-seconds 25]
 * </pre>
 */
public final class LstmClassifierBench {
    private LstmClassifierBench() {}

    static final String USAGE = """
            usage: LstmClassifierBench [--batch 128] [--seq 100] [--samples 5120] [--warmup 10] [--steps 400] [--max-seconds 25] [--seed 42]
              --samples         synthetic training sequences (the fit shuffles them each epoch)
              --warmup/--steps  untimed, then timed training steps; --max-seconds caps each of the two windows""";

    public static void main(String[] args) {
        Map<String, String> f = BenchSupport.flags(args, USAGE,
                Set.of("--batch", "--seq", "--samples", "--warmup", "--steps", "--max-seconds", "--seed"), Set.of());
        int batch = intFlag(f, "--batch", 128), seq = intFlag(f, "--seq", 100), n = intFlag(f, "--samples", 5120);
        int warmup = intFlag(f, "--warmup", 10), steps = intFlag(f, "--steps", 400);
        double maxSeconds = doubleFlag(f, "--max-seconds", 25);
        long seed = intFlag(f, "--seed", 42);
        BenchSupport.jvmInfo();

        Rng rng = new Rng(seed);
        float[] x = new float[n * seq];
        for (int i = 0; i < x.length; i++) x[i] = 1 + rng.nextInt(9_999);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = rng.nextInt(2);
        Dataset data = new Dataset(x, new int[] {seq}, y, 2);
        info("data=synthetic ids in [1,10000) samples=" + n + " seq=" + seq);

        Sequential model = new Sequential(new Embedding(10_000, 16), new Lstm(128), new Dense(1, Activation.SIGMOID));
        model.compile(new Adam(1e-3).clipGlobalNorm(1.0), Loss.BINARY_CROSSENTROPY, "accuracy");
        Model m = model;
        int stepsPerEpoch = data.numBatches(batch);
        BenchSupport.StepTimer timer = new BenchSupport.StepTimer(warmup, steps, batch, maxSeconds);
        m.fit(data, new FitOptions((warmup + steps) / stepsPerEpoch + 2, batch).withShuffle(true).withSeed(seed).withVerbose(false), timer);
        timer.report("lstm_train_b" + batch);
        BenchSupport.peakRss();
    }
}
