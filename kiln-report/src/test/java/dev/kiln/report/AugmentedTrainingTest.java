package dev.kiln.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import dev.kiln.data.Augmentation;
import dev.kiln.data.Dataset;
import dev.kiln.data.image.ImageAugmentation;
import dev.kiln.nn.FitOptions;
import dev.kiln.nn.History;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The training loop applies a dataset's augmentation to its training batches, and a model still learns. */
class AugmentedTrainingTest {

    /** 8×8 grey images: class 1 has a bright left half, class 0 a bright top half, plus noise. */
    private static Dataset halves(int n, long seed) {
        Rng rng = new Rng(seed);
        float[] x = new float[n * 64];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            for (int r = 0; r < 8; r++) {
                for (int c = 0; c < 8; c++) {
                    boolean on = y[i] == 1 ? c < 4 : r < 4;
                    x[i * 64 + r * 8 + c] = (on ? 0.8f : 0.1f) + (float) rng.uniform(-0.1, 0.1);
                }
            }
        }
        return new Dataset(x, new int[] {8, 8, 1}, y, List.of("top", "left"));
    }

    @Test
    void fitAugmentsEveryTrainingBatchAndValidationSeesCleanData() {
        AtomicInteger trainingBatches = new AtomicInteger();
        ImageAugmentation jitter = ImageAugmentation.none().withCropPadding(1).withMaxBrightness(0.05);
        Augmentation counting = (batch, count, shape, rng) -> {
            trainingBatches.incrementAndGet();
            jitter.applyInPlace(batch, count, shape, rng);
        };
        Dataset train = halves(256, 1).augmented(counting);
        Dataset test = halves(64, 2);
        var model = new Sequential(new Flatten(), new Dense(16, Activation.RELU), new Dense(2));
        model.compile(new Adam(1e-2), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        History h = model.fit(train, new FitOptions(4, 32).withValidationData(test).withVerbose(false).withSeed(3));
        assertThat(trainingBatches.get()).isEqualTo(4 * 8);   // every training batch, no validation batch
        assertThat(h.get("val_accuracy")[3]).isGreaterThan(0.9);
    }
}
