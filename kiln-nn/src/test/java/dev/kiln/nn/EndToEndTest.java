package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Tensor;
import dev.kiln.data.Dataset;
import dev.kiln.data.FashionMnist;
import dev.kiln.data.TrainTest;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Dropout;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import dev.kiln.nn.optimizers.Sgd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tutorial MLP trained on the Fashion-MNIST subset shipped in kiln-data, with a fixed seed. */
class EndToEndTest {
    static TrainTest data;

    @BeforeAll
    static void load() {
        data = FashionMnist.subset();
    }

    static Sequential mlp() {
        return new Sequential(new Flatten(), new Dense(128, Activation.RELU), new Dense(10));
    }

    @Test
    void tutorialMlpLearnsFashionMnistSubset(@TempDir Path dir) throws Exception {
        Sequential model = mlp();
        model.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        History history = model.fit(data.train(), new FitOptions(3, 32).withValidationData(data.test()).withVerbose(false).withSeed(1));

        assertThat(history.size()).isEqualTo(3);
        double[] loss = history.get("loss");
        assertThat(loss[2]).isLessThan(loss[0]);
        double accuracy = model.evaluate(data.test()).get("accuracy");
        // 6,000 training images, 3 epochs: PyTorch's twin reaches about 0.80; a broken gradient stays near 0.1.
        assertThat(accuracy).isGreaterThan(0.76);
        assertThat(history.get("val_accuracy")[2]).isEqualTo(accuracy, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(model.provenance()).containsKeys("kiln_version", "jdk", "seed", "data_sha256", "created");

        Path file = dir.resolve("mlp.kiln");
        model.save(file);
        Model loaded = Model.load(file);
        Tensor x = data.test().slice(0, 300).features();
        assertThat(loaded.predict(x).toFloatArray()).isEqualTo(model.predict(x).toFloatArray());
        assertThat(loaded.evaluate(data.test())).isEqualTo(model.evaluate(data.test()));
        assertThat(loaded.summary()).isEqualTo(model.summary()).contains("101,770");
    }

    @Test
    void sameSeedSameRun() {
        Dataset small = data.train().slice(0, 512);
        double[] a = trainBriefly(small);
        double[] b = trainBriefly(small);
        assertThat(a).isEqualTo(b);
    }

    private static double[] trainBriefly(Dataset d) {
        Sequential m = new Sequential(new Flatten(), new Dense(32, Activation.RELU), new Dropout(0.2), new Dense(10));
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        return m.fit(d, new FitOptions(2, 64).withValidationSplit(0.25).withVerbose(false).withSeed(9)).get("val_loss");
    }

    @Test
    void shapeMismatchNamesLayerAndShapes() {
        Sequential model = mlp();
        model.build(28, 28);
        assertThatThrownBy(() -> model.predict(Tensor.zeros(2, 32, 32)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("flatten_1")
                .hasMessageContaining("(batch, 28, 28)")
                .hasMessageContaining("(batch, 32, 32)");
        Sequential bad = new Sequential(new Dense(4), new Dense(3));
        bad.build(5);
        assertThatThrownBy(() -> bad.predict(Tensor.zeros(2, 6)))
                .hasMessageContaining("dense_1").hasMessageContaining("(batch, 5)").hasMessageContaining("(batch, 6)");
    }

    @Test
    void nanLossStopsTrainingNamingBatchAndEpoch() {
        Dataset clean = data.train().slice(0, 640);
        float[] features = clean.features().toFloatArray();
        features[100 * 784 + 5] = Float.NaN;   // sample 100 lies in batch 4 of epoch 1 when not shuffled
        Dataset poisoned = new Dataset(features, new int[] {28, 28}, clean.labels(), 10);
        Sequential model = new Sequential(new Flatten(), new Dense(10));
        model.compile(new Sgd(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS);
        assertThatThrownBy(() -> model.fit(poisoned, new FitOptions(3, 32).withShuffle(false).withVerbose(false)))
                .isInstanceOf(TrainingFailedException.class)
                .hasMessageContaining("loss became NaN at batch 4")
                .hasMessageContaining("(epoch 1)");
    }

    @Test
    void classWeightsChangeTheLoss() {
        Dataset d = data.train().slice(0, 256);
        Sequential a = mlp(), b = mlp();
        a.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS);
        b.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS);
        FitOptions o = new FitOptions(1, 32).withVerbose(false);
        double plain = a.fit(d, o).get("loss")[0];
        double weighted = b.fit(d, o.withClassWeights(Map.of(0, 5.0, 1, 0.0))).get("loss")[0];
        assertThat(weighted).isNotCloseTo(plain, org.assertj.core.data.Offset.offset(1e-3));
    }

    @Test
    void damagedModelFilesAreRefusedAndNothingIsOverwritten(@TempDir Path dir) throws Exception {
        Sequential model = mlp();
        model.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        model.build(28, 28);
        Path good = dir.resolve("good.kiln");
        model.save(good);
        byte[] bytes = Files.readAllBytes(good);

        Path truncated = dir.resolve("truncated.kiln");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> Model.load(truncated)).hasMessageContaining("truncated.kiln").hasMessageContaining("truncated");

        Path oversized = dir.resolve("oversized.kiln");
        byte[] o = bytes.clone();
        o[7] = 0x7f; // header length field (little-endian u64) now claims an absurd size
        Files.write(oversized, o);
        assertThatThrownBy(() -> Model.load(oversized)).hasMessageContaining("oversized.kiln").hasMessageContaining("header");

        Path newer = dir.resolve("newer.kiln");
        String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).replace("\"format_version\":\"1\"", "\"format_version\":\"9\"");
        Files.write(newer, text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> Model.load(newer)).hasMessageContaining("version 9").hasMessageContaining("newer Kiln");

        // A save that fails midway leaves the previous file untouched.
        Sequential unbuilt = mlp();
        assertThatThrownBy(() -> unbuilt.save(good)).isInstanceOf(IllegalStateException.class);
        assertThat(Files.readAllBytes(good)).isEqualTo(bytes);
    }
}
