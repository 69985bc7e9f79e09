package dev.kiln.nn.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.data.Dataset;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.callbacks.TinyRun;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvaluationTest {

    @Test
    void countsEveryPredictionAndAgreesWithModelEvaluate() {
        Dataset train = TinyRun.separable(64, 1, List.of("negative", "positive"));
        Dataset test = TinyRun.separable(300, 3, List.of("negative", "positive"));   // more than one 256-sample batch
        Model model = TinyRun.model(0.05);
        model.fit(train, TinyRun.options(10));

        ConfusionMatrix m = Evaluation.of(model, test);

        assertThat(m.total()).isEqualTo(300);
        assertThat(m.classNames()).containsExactly("negative", "positive");
        assertThat(m.support(1)).isEqualTo(java.util.Arrays.stream(test.labels()).filter(l -> l == 1).count());
        assertThat(m.accuracy()).isCloseTo(model.evaluate(test).get("accuracy"), within(1e-12));
        assertThat(m.accuracy()).as("the tiny model learns the separable problem").isGreaterThan(0.8);
        int[] predicted = model.predictClasses(test.features());
        long predictedPositive = java.util.Arrays.stream(predicted).filter(p -> p == 1).count();
        assertThat(m.predictedCount(1)).isEqualTo(predictedPositive);
        assertThat(Evaluation.of(model, test, 7).toCsv()).isEqualTo(m.toCsv());
    }

    @Test
    void aSingleOutputModelIsBinary() {
        Model model = new Sequential(new Dense(1)).compile(new Adam(0.05), Loss.BINARY_CROSSENTROPY_FROM_LOGITS, "accuracy");
        Dataset data = TinyRun.separable(64, 1);
        model.fit(data, TinyRun.options(5));
        ConfusionMatrix m = Evaluation.of(model, data);
        assertThat(m.numClasses()).isEqualTo(2);
        assertThat(m.accuracy()).isCloseTo(model.evaluate(data).get("accuracy"), within(1e-12));
    }

    @Test
    void mismatchedClassCountsAndUnbuiltModelsFailClearly() {
        Model unbuilt = TinyRun.model(0.01);
        Dataset data = TinyRun.separable(16, 1);
        assertThatThrownBy(() -> Evaluation.of(unbuilt, data)).isInstanceOf(IllegalStateException.class).hasMessageContaining("not built");

        Model threeWay = new Sequential(new Dense(3)).build(2);
        assertThatThrownBy(() -> Evaluation.of(threeWay, data))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("predicts 3 classes but the dataset has 2");
    }
}
