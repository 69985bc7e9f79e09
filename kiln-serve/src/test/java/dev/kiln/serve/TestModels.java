package dev.kiln.serve;

import dev.kiln.core.Tensor;
import dev.kiln.data.Dataset;
import dev.kiln.nn.FitOptions;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.CallContext;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.layers.Layer;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Tiny models for the server tests, trained or built in milliseconds. */
final class TestModels {
    static final List<String> CLASSES = List.of("cat", "dog", "bird");

    private TestModels() {}

    /** Dense(8, relu) → Dense(3) logits on 4 inputs, trained a little on 30 samples; class names recorded. */
    static Model classifier(long seed) {
        float[] x = new float[30 * 4];
        int[] y = new int[30];
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < 30; i++) {
            y[i] = i % 3;
            for (int j = 0; j < 4; j++) x[i * 4 + j] = (float) (r.nextGaussian() * 0.3 + (j == y[i] ? 2 : 0));
        }
        Dataset data = new Dataset(x, new int[] {4}, y, 3);
        Model m = new Sequential(new Dense(8, Activation.RELU), new Dense(3)).seed(seed);
        m.compile(new Adam(0.05), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        m.fit(data, new FitOptions(5, 10).withSeed(seed).withVerbose(false));
        Map<String, String> p = new LinkedHashMap<>(m.provenance());
        p.put(Predictor.CLASS_NAMES, "[\"cat\",\"dog\",\"bird\"]");
        m.provenance(p);
        return m;
    }

    /** Flatten → Dense(2) on (2, 3) inputs, built but not compiled: a plain regression-style output. */
    static Model regressor() {
        return new Sequential(new Flatten(), new Dense(2)).seed(3).build(2, 3);
    }

    /** Saves {@code model} as {@code <dir>/<name>/<version>/model.kiln}. */
    static Path saveVersion(Path dir, String name, long version, Model model) throws IOException {
        Path file = dir.resolve(name).resolve(Long.toString(version)).resolve("model.kiln");
        Files.createDirectories(file.getParent());
        model.save(file);
        return file;
    }

    /**
     * A model whose forward pass waits until {@link #release} (or 10 s): lets tests hold the batcher's worker
     * busy and fill its queue deterministically. It returns its input (no layers).
     */
    static final class GateModel extends Model {
        final CountDownLatch started = new CountDownLatch(1);
        private final CountDownLatch gate = new CountDownLatch(1);

        void release() {
            gate.countDown();
        }

        @Override
        public Tensor call(Tensor x, CallContext ctx) {
            started.countDown();
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return x;
        }

        @Override
        public List<Layer> layers() {
            return List.of();
        }

        @Override
        public int[] inputShape() {
            return new int[] {2};
        }

        @Override
        public Model build(int... inputShape) {
            return this;
        }
    }
}
