package dev.kiln.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Tensor;
import dev.kiln.nn.Model;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictorTest {
    @TempDir
    Path dir;

    @Test
    void classifiesWithSoftmaxOfTheLogitsAndRecordedClassNames() throws Exception {
        Model model = TestModels.classifier(1);
        Path file = TestModels.saveVersion(dir, "m", 1, model);
        Predictor p = Predictor.load(file);
        assertThat(p.isClassifier()).isTrue();
        assertThat(p.classNames()).containsExactly("cat", "dog", "bird");
        float[] x = {0.1f, 2.2f, -0.3f, 0.4f};
        float[] logits = model.predict(Tensor.of(x, 1, 4)).toFloatArray();
        float[][] out = p.predict(new float[][] {x});
        assertThat(out[0]).containsExactly(logits);   // bit-identical to the saved model

        Predictor.Classification c = p.classify(out[0], 3);
        double z = 0;
        for (float l : logits) z += Math.exp(l);
        for (Predictor.ClassScore s : c.top()) assertThat((double) s.probability()).isCloseTo(Math.exp(logits[s.classId()]) / z, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(c.top()).extracting(Predictor.ClassScore::probability).isSortedAccordingTo((a, b) -> Float.compare(b, a));
        assertThat(c.best().label()).isEqualTo("dog");   // the training data put class 1 on input 1
        assertThat(p.classify(out[0], 1).top()).hasSize(1);
        assertThat(p.classify(out[0], 10).top()).hasSize(3);
    }

    @Test
    void aModelWithoutLossOrClassNamesAnswersRawOutputs() {
        Predictor p = new Predictor(TestModels.regressor());
        assertThat(p.isClassifier()).isFalse();
        assertThat(p.inputShape()).containsExactly(2, 3);
        assertThat(p.predict(new float[][] {{1, 2, 3, 4, 5, 6}})[0]).hasSize(2);
    }

    @Test
    void refusesWrongSizesAndNonFiniteNumbers() {
        Predictor p = new Predictor(TestModels.classifier(2));
        assertThatThrownBy(() -> p.predict(new float[][] {{1, 2, 3}})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has 3 numbers but the model takes 4");
        assertThatThrownBy(() -> p.predict(new float[][] {{1, Float.NaN, 3, 4}})).hasMessageContaining("finite");
        assertThatThrownBy(() -> p.predict(new float[][] {{1, Float.POSITIVE_INFINITY, 3, 4}})).hasMessageContaining("finite");
        assertThatThrownBy(() -> p.classify(new float[] {1, 2, 3}, 0)).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new Predictor(new dev.kiln.nn.Sequential(new dev.kiln.nn.layers.Dense(2))))
                .hasMessageContaining("not built");
    }

    /**
     * Many threads share one Predictor on mixed batch sizes; every answer must be bit-identical to the
     * single-threaded one. A shared scratch buffer or graph state in the layers would mix rows up here.
     */
    @Test
    void manyThreadsShareOnePredictorAndGetTheSingleThreadedAnswers() throws Exception {
        Predictor p = new Predictor(TestModels.classifier(3));
        Random r = new Random(7);
        float[][] inputs = new float[64][4];
        for (float[] row : inputs) for (int j = 0; j < 4; j++) row[j] = (float) r.nextGaussian();
        float[][] expected = new float[64][];
        for (int i = 0; i < 64; i++) expected[i] = p.predict(new float[][] {inputs[i]})[0];

        int threads = 16;
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                results.add(pool.submit(() -> {
                    Random rr = new Random(seed);
                    int checked = 0;
                    for (int round = 0; round < 200; round++) {
                        int n = 1 + rr.nextInt(8);
                        int[] pick = new int[n];
                        float[][] batch = new float[n][];
                        for (int i = 0; i < n; i++) batch[i] = inputs[pick[i] = rr.nextInt(64)];
                        float[][] out = p.predict(batch);
                        for (int i = 0; i < n; i++) {
                            if (!java.util.Arrays.equals(out[i], expected[pick[i]])) throw new AssertionError("thread " + seed + " round " + round + " row " + i + " differs");
                            checked++;
                        }
                    }
                    return checked;
                }));
            }
            int total = 0;
            for (Future<Integer> f : results) total += f.get();
            assertThat(total).isGreaterThan(threads * 200);
        }
    }
}
