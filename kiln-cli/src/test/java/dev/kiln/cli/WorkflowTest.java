package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.data.Idx;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented workflow end to end, in-process: train the MLP for one epoch on 1,000 images of the shipped
 * Fashion-MNIST subset, then evaluate, predict and summarise the model it wrote.
 */
class WorkflowTest {
    static final String MLP = """
            data: {name: fashion-mnist-subset, limit: 1000}
            model:
              input_shape: [28, 28]
              layers:
                - {type: Flatten}
                - {type: Dense, units: 128, activation: relu}
                - {type: Dense, units: 10}
            compile:
              optimizer: {name: adam, learning_rate: 0.001}
              loss: sparse_categorical_crossentropy_from_logits
              metrics: [accuracy]
            fit: {epochs: 3, batch_size: 32, seed: 42}
            callbacks:
              - {type: csv_logger, path: log.csv}
            """;

    @TempDir
    static Path dir;
    static Path run;
    static Path model;
    static Cli.Result training;

    @BeforeAll
    static void train() throws Exception {
        Path config = dir.resolve("mlp.yaml");
        Files.writeString(config, MLP);
        run = dir.resolve("run");
        training = Cli.run("train", config.toString(), "--epochs", "1", "--output", run.toString());
        model = run.resolve("model.kiln");
    }

    @Test
    void trainWritesTheRunAndPrintsTheSummaryAndTestAccuracy() throws Exception {
        assertThat(training.code()).as(training.toString()).isZero();
        assertThat(training.out())
                .contains("Total params: 101,770")
                .contains("validating on the 1,000 test samples")
                .contains("Epoch 1/1")
                .containsPattern("val_accuracy: 0\\.\\d{4}")
                .containsPattern("Test accuracy: 0\\.\\d{4}\\n")
                .contains("to " + run);
        assertThat(training.out().indexOf("Total params")).isLessThan(training.out().indexOf("Epoch 1/1"));
        for (String f : List.of("model.kiln", "history.csv", "history.json", "summary.txt", "config.yaml", "log.csv")) {
            assertThat(run.resolve(f)).as(f).isRegularFile();
        }
        List<String> history = Files.readAllLines(run.resolve("history.csv"));
        assertThat(history).hasSize(2);   // --epochs 1 overrides the config's 3
        assertThat(history.getFirst()).isEqualTo("epoch,loss,accuracy,lr,val_loss,val_accuracy");
        assertThat(Files.readString(run.resolve("history.json"))).contains("\"val_accuracy\": [");
        assertThat(Files.readString(run.resolve("summary.txt"))).contains("101,770").contains("Test accuracy").contains("seed: 42");
    }

    @Test
    void evaluatePrintsLossAccuracyReportAndConfusionMatrix() throws Exception {
        Path csv = dir.resolve("confusion.csv");
        Cli.Result r = Cli.run("evaluate", model.toString(), "fashion-mnist-subset", "--csv", csv.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out())
                .contains("1,000 samples")
                .containsPattern("Loss \\(sparse_categorical_crossentropy_from_logits\\): \\d+\\.\\d{4}")
                .containsPattern("Accuracy: 0\\.\\d{4}")
                .contains("precision", "recall", "f1-score", "support", "macro avg")
                .contains("Ankle boot")
                .contains("Confusion matrix");
        List<String> rows = Files.readAllLines(csv);
        assertThat(rows).hasSize(11);
        assertThat(rows.get(1)).startsWith("T-shirt/top,");
    }

    @Test
    void evaluateAcceptsACsvOfFlatRows() throws Exception {
        Path csv = dir.resolve("rows.csv");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 784; i++) sb.append('p').append(i).append(',');
        sb.append("label\n");
        var test = dev.kiln.data.FashionMnist.subset().test();
        float[] x = test.features().toFloatArray();
        for (int s = 0; s < 40; s++) {
            for (int i = 0; i < 784; i++) sb.append(x[s * 784 + i]).append(',');
            sb.append(test.label(s)).append('\n');
        }
        Files.writeString(csv, sb);
        Cli.Result r = Cli.run("evaluate", model.toString(), csv.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("40 samples").contains("Accuracy: ").contains("Ankle boot");
    }

    @Test
    void evaluateAcceptsAFolderOfIdxFiles() throws Exception {
        var test = dev.kiln.data.FashionMnist.subset().test().slice(0, 30);
        float[] pixels = test.features().toFloatArray();
        for (int i = 0; i < pixels.length; i++) pixels[i] = Math.round(pixels[i] * 255);
        float[] labels = new float[test.size()];
        for (int i = 0; i < labels.length; i++) labels[i] = test.label(i);
        Path idx = Files.createDirectories(dir.resolve("idx"));
        new Idx(Idx.Type.UBYTE, new int[] {30, 28, 28}, pixels).writeGzip(idx.resolve("t10k-images-idx3-ubyte.gz"));
        new Idx(Idx.Type.UBYTE, new int[] {30}, labels).writeGzip(idx.resolve("t10k-labels-idx1-ubyte.gz"));
        Cli.Result r = Cli.run("evaluate", model.toString(), idx.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("IDX test files in " + idx).contains("30 samples").contains("Ankle boot");

        Cli.Result empty = Cli.run("evaluate", model.toString(), dir.toString());
        assertThat(empty.code()).isEqualTo(1);
        assertThat(empty.err()).contains("holds no IDX image and label files");
    }

    @Test
    void predictOnADatasetSampleShowsTopKWithClassNames() {
        Cli.Result r = Cli.run("predict", model.toString(), "fashion-mnist-subset:test:0");
        assertThat(r.code()).as(r.toString()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.getFirst()).startsWith("fashion-mnist-subset:test:0 (true class: ");
        assertThat(lines).hasSize(4);
        assertThat(lines.get(1)).matches("  1\\. .+ +0\\.\\d{4}");
        assertThat(probabilities(lines.subList(1, 4))).isSortedAccordingTo((a, b) -> Double.compare(b, a));
        assertThat(r.out()).doesNotContain("class 0");   // names, not ids
    }

    @Test
    void predictOnAPngImage() throws Exception {
        BufferedImage img = new BufferedImage(56, 56, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(18, 4, 8, 48);   // two legs: a trouser, light on black like Fashion-MNIST
        g.fillRect(30, 4, 8, 48);
        g.dispose();
        Path png = dir.resolve("trouser.png");
        ImageIO.write(img, "png", png.toFile());
        Cli.Result r = Cli.run("predict", model.toString(), png.toString(), "--top-k", "2");
        assertThat(r.code()).as(r.toString()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).isEqualTo(png.toString());
        assertThat(lines.get(1)).startsWith("  1. ");
        assertThat(lines.get(2)).startsWith("  2. ");
        assertThat(probabilities(lines.subList(1, 3)).stream().mapToDouble(Double::doubleValue).sum()).isBetween(0.0, 1.0001);
    }

    @Test
    void predictOnJsonAndCsvFilesOfNumbers() throws Exception {
        Path json = dir.resolve("two.json");
        String zeros = "[" + "0,".repeat(783) + "0]";
        Files.writeString(json, "[" + zeros + ", " + zeros + "]");
        Cli.Result r = Cli.run("predict", model.toString(), json.toString(), "--top-k", "1");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("sample 1").contains("sample 2");

        Path csv = dir.resolve("one.csv");
        Files.writeString(csv, "0.5,".repeat(783) + "0.5\n");
        r = Cli.run("predict", model.toString(), csv.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out().lines()).hasSize(4);

        Files.writeString(csv, "1,2,3\n");
        r = Cli.run("predict", model.toString(), csv.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("3 values, expected 784");
    }

    @Test
    void predictIndexOutOfRangeSaysTheRange() {
        Cli.Result r = Cli.run("predict", model.toString(), "fashion-mnist-subset:test:5000");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("samples 0 to 999");
    }

    @Test
    void summaryPrintsTheLayerTableAndProvenance() {
        Cli.Result r = Cli.run("summary", model.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out())
                .contains("dense_1 (Dense)", "100,480", "1,290", "Total params: 101,770")
                .contains("Classes: T-shirt/top, Trouser")
                .contains("Provenance:", "kiln_version: ", "seed: 42", "dataset: fashion-mnist-subset", "data_sha256: ");
    }

    private static List<Double> probabilities(List<String> lines) {
        return lines.stream().map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).toList();
    }
}
