package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Tensor;
import dev.kiln.data.Dataset;
import dev.kiln.data.FashionMnist;
import dev.kiln.nn.callbacks.Callback;
import dev.kiln.nn.callbacks.TrainingState;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.BatchNormalization;
import dev.kiln.nn.layers.Conv2D;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Dropout;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.layers.MaxPooling2D;
import dev.kiln.nn.layers.Reshape;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The training loop's {@link dev.kiln.core.StepArena}: recycling a step's storage changes no bit of a run, and
 * never touches a tensor that user code still holds. "poison" fills every recycled array with NaN, so a tensor
 * recycled while in use shows up as NaN (or different bits) instead of passing by luck.
 */
class StepArenaTrainingTest {
    static Dataset data;

    @BeforeAll
    static void load() {
        data = FashionMnist.subset().train().slice(0, 400);
    }

    /** Trains with {@code kiln.stepArena} set to {@code mode}; returns the loss history and every weight and buffer. */
    static float[] train(String mode, Supplier<Model> model, Loss loss, FitOptions options, Callback... callbacks) {
        String before = System.getProperty("kiln.stepArena");
        System.setProperty("kiln.stepArena", mode);
        try {
            Model m = model.get();
            m.compile(new Adam(1e-3), loss, "accuracy");
            History h = m.fit(data, options, callbacks);
            List<Float> out = new ArrayList<>();
            for (double l : h.get("loss")) out.add((float) l);
            for (double a : h.get("accuracy")) out.add((float) a);
            for (Tensor t : m.parameters().values()) for (float v : t.toFloatArray()) out.add(v);
            for (Tensor t : m.buffers().values()) for (float v : t.toFloatArray()) out.add(v);
            float[] r = new float[out.size()];
            for (int i = 0; i < r.length; i++) r[i] = out.get(i);
            return r;
        } finally {
            if (before == null) System.clearProperty("kiln.stepArena");
            else System.setProperty("kiln.stepArena", before);
        }
    }

    static void assertSameBitsInEveryMode(Supplier<Model> model, Loss loss, FitOptions options) {
        float[] off = train("off", model, loss, options);
        assertThat(off).doesNotContain(Float.NaN);
        assertThat(train("on", model, loss, options)).isEqualTo(off);
        assertThat(train("poison", model, loss, options)).isEqualTo(off);
    }

    @Test
    void tutorialMlpWithDropoutIsBitIdenticalWithAndWithoutRecycling() {
        // 400 samples at batch 48: a short last batch (16) every epoch, so two sets of shapes share the arena.
        assertSameBitsInEveryMode(() -> new Sequential(new Flatten(), new Dense(32, Activation.RELU), new Dropout(0.2), new Dense(10)),
                Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, new FitOptions(3, 48).withSeed(5).withVerbose(false));
    }

    @Test
    void composedLossesClassWeightsAndValidationToo() {
        // Softmax then categorical cross-entropy: the composed ops (reductions, broadcasting, unary) instead of the fused loss.
        assertSameBitsInEveryMode(() -> new Sequential(new Flatten(), new Dense(16, Activation.TANH), new Dense(10, Activation.SOFTMAX)),
                Loss.CATEGORICAL_CROSSENTROPY, new FitOptions(2, 32).withSeed(6).withVerbose(false).withValidationSplit(0.25));
        assertSameBitsInEveryMode(() -> new Sequential(new Flatten(), new Dense(16, Activation.RELU), new Dense(10)),
                Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS,
                new FitOptions(2, 32).withSeed(6).withVerbose(false).withClassWeights(Map.of(0, 2.0, 3, 0.5)));
    }

    @Test
    void convolutionAndBatchNormalisationMovingStatisticsSurvive() {
        assertSameBitsInEveryMode(() -> new Sequential(new Reshape(28, 28, 1), new Conv2D(4, 3, Activation.RELU), new BatchNormalization(),
                        new MaxPooling2D(2), new Flatten(), new Dense(10)),
                Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, new FitOptions(1, 50).withSeed(8).withVerbose(false));
    }

    @Test
    void tensorsHandedToUserCodeAreNeverRecycled() {
        Tensor x = data.slice(0, 20).features();
        List<Tensor> held = new ArrayList<>();
        List<float[]> values = new ArrayList<>();
        Callback keepPredictions = new Callback() {
            @Override
            public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
                // Predictions and evaluations made from a callback, kept across every later step of the fit.
                Tensor p = state.model().predict(x);
                held.add(p);
                values.add(p.toFloatArray());
                if (batch == 0) state.model().evaluate(data.slice(0, 40));
            }
        };
        Model[] model = new Model[1];
        Tensor[] before = new Tensor[1];
        float[][] beforeValues = new float[1][];
        train("poison", () -> {
            model[0] = new Sequential(new Flatten(), new Dense(32, Activation.RELU), new Dense(10));
            model[0].build(28, 28);
            before[0] = model[0].predict(x);   // made before fit, held through it
            beforeValues[0] = before[0].toFloatArray();
            return model[0];
        }, Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, new FitOptions(2, 32).withSeed(9).withVerbose(false), keepPredictions);

        assertThat(held).hasSize(2 * 13);
        for (int i = 0; i < held.size(); i++) assertThat(held.get(i).toFloatArray()).doesNotContain(Float.NaN).isEqualTo(values.get(i));
        assertThat(before[0].toFloatArray()).isEqualTo(beforeValues[0]);
        assertThat(values.get(0)).isNotEqualTo(values.get(values.size() - 1));   // the weights did move
    }
}
