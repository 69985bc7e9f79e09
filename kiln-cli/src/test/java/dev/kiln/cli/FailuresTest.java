package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.data.DataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Failures at run time exit 1 with one clear {@code error:} line and no stack trace (unless asked for). */
class FailuresTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"summary", "evaluate", "predict"})
    void aCorruptModelFileExits1NamingTheFile(String command) throws Exception {
        Path bad = dir.resolve("corrupt.kiln");
        Files.write(bad, "this is not a model at all, just some text".getBytes());
        String[] args = switch (command) {
            case "evaluate" -> new String[] {"evaluate", bad.toString(), "fashion-mnist-subset"};
            case "predict" -> new String[] {"predict", bad.toString(), "fashion-mnist-subset:test:0"};
            default -> new String[] {"summary", bad.toString()};
        };
        Cli.Result r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: ").contains(bad.toString());
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Usage:");
    }

    @Test
    void aTruncatedModelFileExits1() throws Exception {
        Path model = trainTiny();
        byte[] bytes = Files.readAllBytes(model);
        Path cut = dir.resolve("cut.kiln");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        Cli.Result r = Cli.run("summary", cut.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: ").contains(cut.toString()).doesNotContain("\tat ");
    }

    @Test
    void verboseAddsTheStackTrace() throws Exception {
        Path bad = dir.resolve("corrupt.kiln");
        Files.write(bad, new byte[] {1, 2, 3});
        Cli.Result r = Cli.run("summary", bad.toString(), "--verbose");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: ").contains("\tat ");
    }

    @Test
    void missingFashionMnistFallsBackToTheShippedSubsetAndSaysSo() throws Exception {
        Path config = dir.resolve("full.yaml");
        Files.writeString(config, WorkflowTest.MLP.replace("{name: fashion-mnist-subset, limit: 1000}", "{name: fashion-mnist, limit: 300}"));
        Cli.Result r = Cli.runWithoutDatasets(dir, "train", config.toString(), "--epochs", "1", "--output", dir.resolve("run").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Fashion-MNIST not found (looked in: " + dir.resolve("system").resolve("fashion-mnist"))
                .contains("training on the 6,000-image subset shipped with Kiln")
                .contains("apt-get install dataset-fashion-mnist")
                .contains("Test accuracy: ");
        assertThat(r.out().indexOf("not found")).isLessThan(r.out().indexOf("Total params"));
    }

    @Test
    void missingMnistExits1WithWhereItLookedAndHowToGetIt() throws Exception {
        Path config = dir.resolve("mnist.yaml");
        Files.writeString(config, WorkflowTest.MLP.replace("{name: fashion-mnist-subset, limit: 1000}", "{name: mnist}"));
        Cli.Result r = Cli.runWithoutDatasets(dir, "train", config.toString(), "--output", dir.resolve("run").toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: MNIST not found").contains(dir.resolve("system").resolve("mnist").toString()).contains("--download");
    }

    @Test
    void configMistakesNameTheLineAndTheValidChoices() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, WorkflowTest.MLP.replace("{type: Flatten}", "{type: Conv3D}"));   // a Keras layer Kiln does not have
        Cli.Result r = Cli.run("train", config.toString(), "--output", dir.resolve("run").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: " + config + ":5: model.layers[0]: unknown layer type 'Conv3D'; valid types: Dense, Flatten, Dropout, Activation");

        Files.writeString(config, WorkflowTest.MLP.replace("units: 128", "unit: 128"));
        r = Cli.run("train", config.toString(), "--output", dir.resolve("run").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: " + config + ":6: model.layers[1]: unknown key 'unit'; valid keys here: ").contains("units");

        Files.writeString(config, WorkflowTest.MLP.replace("fit:", "fitt:"));
        r = Cli.run("train", config.toString(), "--output", dir.resolve("run").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains(":12: unknown key 'fitt'; valid keys here: data, text, augment, model, compile, fit, callbacks, output");

        Files.writeString(config, WorkflowTest.MLP.replace("units: 10}", "units: 3}"));
        r = Cli.run("train", config.toString(), "--output", dir.resolve("run").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("the last layer has 3 outputs but the data has 10 classes");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void monitoringValidationWithoutValidationDataIsCaughtBeforeTraining() throws Exception {
        Path train = dir.resolve("train.csv");
        Files.writeString(train, "a,b,label\n0,1,0\n1,0,1\n0.1,0.9,0\n0.9,0.2,1\n");
        Path config = dir.resolve("csv.yaml");
        Files.writeString(config, """
                data: {name: csv, path: %s}
                model: {layers: [{type: Dense, units: 2}]}
                compile: {loss: sparse_categorical_crossentropy_from_logits, metrics: [accuracy]}
                callbacks: [{type: early_stopping, patience: 1}]
                """.formatted(train));
        Cli.Result r = Cli.run("train", config.toString(), "--output", dir.resolve("run").toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("monitors 'val_loss' but this run has no validation data");
    }

    @Test
    void trainsOnCsvDataWithATestFile() throws Exception {
        StringBuilder sb = new StringBuilder("x,y,label\n");
        var rng = new java.util.Random(1);
        for (int i = 0; i < 200; i++) {
            int c = i % 3;
            sb.append(c + rng.nextGaussian() * 0.2).append(',').append(-c + rng.nextGaussian() * 0.2).append(',').append(new String[] {"cat", "dog", "eel"}[c]).append('\n');
        }
        Path train = dir.resolve("train.csv");
        Path test = dir.resolve("test.csv");
        Files.writeString(train, sb);
        Files.writeString(test, "x,y,label\n0,0,cat\n2,-2,eel\n1,-1,dog\n");
        Path config = dir.resolve("csv.yaml");
        Files.writeString(config, """
                data: {name: csv, path: %s, test_path: %s}
                model: {layers: [{type: Dense, units: 16, activation: tanh}, {type: Dense, units: 3}]}
                compile: {optimizer: {name: sgd, learning_rate: 0.1, momentum: 0.9}, loss: sparse_categorical_crossentropy_from_logits, metrics: accuracy}
                fit: {epochs: 5, batch_size: 16}
                """.formatted(train, test));
        Path run = dir.resolve("run");
        Cli.Result r = Cli.run("train", config.toString(), "--output", run.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Test accuracy: ");

        Path one = dir.resolve("one.csv");
        Files.writeString(one, "2.1,-1.9\n");
        r = Cli.run("predict", run.resolve("model.kiln").toString(), one.toString(), "--top-k", "1");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("1. eel");
    }

    private Path trainTiny() throws Exception {
        Path config = dir.resolve("tiny.yaml");
        Files.writeString(config, WorkflowTest.MLP.replace("limit: 1000", "limit: 64"));
        Path run = dir.resolve("tiny");
        Cli.Result r = Cli.run(DataSource.defaults(), "train", config.toString(), "--epochs", "1", "--output", run.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        return run.resolve("model.kiln");
    }
}
