package dev.kiln.nn.callbacks;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.data.Dataset;
import dev.kiln.nn.FitOptions;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test fixtures: a small, linearly separable two-class problem and a tiny MLP that learns it in a few epochs. */
public final class TinyRun {
    private TinyRun() {}

    /** {@code n} points in 2-D, class 1 when x0 + x1 > 0, with the given class names (or none). */
    public static Dataset separable(int n, long seed, List<String> classNames) {
        Rng rng = new Rng(seed);
        float[] x = new float[n * 2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            float a = (float) rng.uniform(-1, 1);
            float b = (float) rng.uniform(-1, 1);
            x[2 * i] = a;
            x[2 * i + 1] = b;
            y[i] = a + b > 0 ? 1 : 0;
        }
        return classNames.isEmpty() ? new Dataset(x, new int[] {2}, y, 2) : new Dataset(x, new int[] {2}, y, classNames);
    }

    public static Dataset separable(int n, long seed) {
        return separable(n, seed, List.of());
    }

    /** Dense(8, relu) → Dense(2) logits, compiled with Adam, sparse CE from logits and accuracy. */
    public static Model model(double learningRate) {
        Model m = new Sequential(new Dense(8, Activation.RELU), new Dense(2));
        m.compile(new Adam(learningRate), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        return m;
    }

    /** Quiet options: batch 16, seeded, no progress output. */
    public static FitOptions options(int epochs) {
        return new FitOptions(epochs, 16).withVerbose(false).withSeed(7);
    }

    /** Copies of every parameter's values. */
    public static Map<String, float[]> weights(Model model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (var e : model.parameters().entrySet()) out.put(e.getKey(), e.getValue().toFloatArray());
        return out;
    }

    /** Records the weights and the predictions on {@code probe} after every epoch. */
    public static final class Recorder implements Callback {
        public final List<Map<String, float[]>> weights = new ArrayList<>();
        public final List<float[]> predictions = new ArrayList<>();
        private final Tensor probe;

        public Recorder(Tensor probe) {
            this.probe = probe;
        }

        @Override
        public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
            weights.add(TinyRun.weights(state.model()));
            predictions.add(state.model().predict(probe).toFloatArray());
        }
    }
}
