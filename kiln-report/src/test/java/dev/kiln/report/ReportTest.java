package dev.kiln.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.data.Dataset;
import dev.kiln.data.InvalidDataException;
import dev.kiln.nn.History;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.metrics.ConfusionMatrix;
import dev.kiln.nn.optimizers.Adam;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    @TempDir Path dir;

    private static History history(boolean validation) {
        History h = new History();
        for (int e = 0; e < 5; e++) {
            Map<String, Double> logs = new java.util.LinkedHashMap<>();
            logs.put("loss", 1.0 / (e + 1));
            logs.put("accuracy", 0.5 + 0.08 * e);
            logs.put("lr", 1e-3);
            if (validation) {
                logs.put("val_loss", 1.2 / (e + 1) + 0.05);
                logs.put("val_accuracy", 0.45 + 0.07 * e);
            }
            h.add(logs);
        }
        return h;
    }

    private static long pixels(BufferedImage img, Color c) {
        long n = 0;
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) if ((img.getRGB(x, y) & 0xFFFFFF) == (c.getRGB() & 0xFFFFFF)) n++;
        return n;
    }

    /**
     * A model that calls an image (H, W) bright (class 1) or dark (class 0): logits are ±(sum of pixels - half
     * the pixel count), so the prediction is certain for white and black images.
     */
    static Model brightnessModel(int h, int w) {
        Sequential m = new Sequential(new Flatten(), new Dense(2));
        m.build(h, w);
        m.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        float[] kernel = m.parameters().get("dense_1.kernel").rawFloats();   // (in, 2)
        float[] bias = m.parameters().get("dense_1.bias").rawFloats();
        for (int i = 0; i < h * w; i++) {
            kernel[2 * i] = -1;
            kernel[2 * i + 1] = 1;
        }
        bias[0] = h * w / 2f;
        bias[1] = -h * w / 2f;
        return m;
    }

    @Test
    void historyCsvReadsBackWhatTrainWrote() throws IOException {
        History h = history(true);
        Path csv = dir.resolve("history.csv");
        Files.writeString(csv, h.toCsv());
        History back = HistoryFile.read(csv);
        assertThat(back.size()).isEqualTo(5);
        assertThat(back.metrics()).containsExactly("loss", "accuracy", "lr", "val_loss", "val_accuracy");
        assertThat(back.get("val_accuracy")[4]).isCloseTo(0.73, within(1e-6));

        Files.writeString(csv, "epoch,loss\n1,0.5\n2,oops\n");
        assertThatThrownBy(() -> HistoryFile.read(csv)).isInstanceOf(InvalidDataException.class)
                .hasMessageContaining(csv + ", line 3, column loss: 'oops' is not a number");
        Files.writeString(csv, "loss\n0.5\n");
        assertThatThrownBy(() -> HistoryFile.read(csv)).isInstanceOf(InvalidDataException.class).hasMessageContaining("starting with 'epoch'");
    }

    @Test
    void curvesDrawTrainingAndValidationInTheirColours() {
        BufferedImage both = TrainingCurves.render(history(true), "run");
        assertThat(both.getWidth()).isEqualTo(2 * TrainingCurves.CHART_WIDTH);
        assertThat(pixels(both, TrainingCurves.TRAIN)).isGreaterThan(500);
        assertThat(pixels(both, TrainingCurves.VALIDATION)).isGreaterThan(500);

        BufferedImage trainOnly = TrainingCurves.render(history(false), "run");
        assertThat(pixels(trainOnly, TrainingCurves.TRAIN)).isGreaterThan(500);
        assertThat(pixels(trainOnly, TrainingCurves.VALIDATION)).isZero();

        History lossOnly = new History();
        lossOnly.add(Map.of("loss", 0.3));
        assertThat(TrainingCurves.render(lossOnly, "").getWidth()).isEqualTo(TrainingCurves.CHART_WIDTH);
        assertThatThrownBy(() -> TrainingCurves.render(new History(), "")).hasMessageContaining("no epochs");
    }

    @Test
    void confusionCellsAreShadedByTheShareOfTheirRow() {
        Color dark = new Color(8, 48, 107);
        ConfusionMatrix perfect = new ConfusionMatrix(List.of("a", "b", "c")).add(new int[] {0, 1, 2, 2}, new int[] {0, 1, 2, 2});
        ConfusionMatrix allWrong = new ConfusionMatrix(List.of("a", "b", "c")).add(new int[] {0, 1, 2}, new int[] {1, 2, 0});
        ConfusionMatrix half = new ConfusionMatrix(List.of("a", "b", "c")).add(new int[] {0, 0, 1, 1, 2, 2}, new int[] {0, 1, 1, 2, 2, 0});
        long fullCells = pixels(ConfusionPlot.render(perfect, "t"), dark);
        // Three fully dark cells either way (diagonal or not), minus the digits written in them.
        assertThat(fullCells).isGreaterThan(3 * 50 * 50);
        assertThat(pixels(ConfusionPlot.render(allWrong, "t"), dark)).isCloseTo(fullCells, within(200L));
        assertThat(pixels(ConfusionPlot.render(half, "t"), dark)).isZero();
    }

    @Test
    void theGridMarksMisclassifiedImagesInRed() {
        Color red = new Color(214, 39, 40);
        float[] x = new float[4 * 3 * 3];
        for (int i = 18; i < 36; i++) x[i] = 1f;   // samples 2 and 3 white
        Dataset data = new Dataset(x, new int[] {3, 3}, new int[] {0, 0, 1, 1}, List.of("dark", "bright"));
        Predictions right = new Predictions(new int[] {0, 0, 1, 1}, new float[] {1, 1, 1, 1});
        Predictions oneWrong = new Predictions(new int[] {0, 1, 1, 1}, new float[] {1, 0.6f, 1, 1});
        assertThat(pixels(PredictionGrid.render(data, right, 4, "t"), red)).isZero();
        assertThat(pixels(PredictionGrid.render(data, oneWrong, 4, "t"), red)).isGreaterThan(4 * 100);
        assertThatThrownBy(() -> PredictionGrid.imageShape(new int[] {5})).hasMessageContaining("not images");
    }

    @Test
    void predictionsOnNewImagesAreSavedAsCsv() throws IOException {
        Model model = brightnessModel(4, 4);
        Path white = dir.resolve("in/white, 1.png");
        Path black = dir.resolve("in/black.png");
        Files.createDirectories(white.getParent());
        BufferedImage w = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) for (int xx = 0; xx < 8; xx++) w.setRGB(xx, y, 0xFFFFFF);
        ImageIO.write(w, "png", white.toFile());
        ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png", black.toFile());

        List<ImagePredictions.Row> rows = ImagePredictions.predict(model, List.of(white, black), List.of("dark", "bright"));
        assertThat(rows).extracting(ImagePredictions.Row::className).containsExactly("bright", "dark");
        // Logits ±8 apart by 16: softmax gives 1 / (1 + e^-16).
        assertThat(rows.get(0).probability()).isCloseTo((float) (1 / (1 + Math.exp(-16))), within(1e-6f));
        Path csv = dir.resolve("predictions.csv");
        ImagePredictions.writeCsv(rows, csv);
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines.get(0)).isEqualTo("file,predicted_class,probability");
        assertThat(lines.get(1)).isEqualTo("\"" + white + "\",bright,1.000000");
        assertThat(lines.get(2)).isEqualTo(black + ",dark,1.000000");
    }

    @Test
    void aRunReportWritesThreeReadablePngs() throws IOException {
        Model model = brightnessModel(3, 3);
        float[] x = new float[6 * 9];
        for (int i = 27; i < 54; i++) x[i] = 1f;
        Dataset test = new Dataset(x, new int[] {3, 3}, new int[] {0, 0, 1, 1, 1, 0}, List.of("dark", "bright"));
        List<Path> files = Report.write(dir.resolve("run"), "tiny", history(true), model, test, 4);
        assertThat(files).containsExactly(dir.resolve("run/curves.png"), dir.resolve("run/confusion.png"), dir.resolve("run/predictions.png"));
        for (Path f : files) {
            BufferedImage img = ImageIO.read(f.toFile());
            assertThat(img).as(f.toString()).isNotNull();
            assertThat(img.getWidth()).isGreaterThan(300);
        }
        assertThat(PredictionGrid.isImage(new int[] {9})).isTrue();
        assertThat(PredictionGrid.isImage(new int[] {4})).isTrue();
        assertThat(PredictionGrid.isImage(new int[] {5})).isFalse();
        assertThat(PredictionGrid.isImage(new int[] {3, 3, 2})).isFalse();
    }

    @Test
    void dataThatIsNotImagesGetsNoGridButTheOtherPlots() throws IOException {
        Sequential model = new Sequential(new Dense(2));
        model.build(5);
        model.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        Dataset rows = new Dataset(new float[20], new int[] {5}, new int[] {0, 1, 0, 1}, 2);
        List<Path> files = Report.write(dir.resolve("csv-run"), "csv", history(false), model, rows, 36);
        assertThat(files).containsExactly(dir.resolve("csv-run/curves.png"), dir.resolve("csv-run/confusion.png"));
    }
}
