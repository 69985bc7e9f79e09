package dev.kiln.report;

import dev.kiln.data.Dataset;
import dev.kiln.nn.History;
import dev.kiln.nn.Model;
import dev.kiln.nn.io.AtomicFiles;
import dev.kiln.nn.metrics.ConfusionMatrix;
import dev.kiln.nn.metrics.Evaluation;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A training run's pictures: {@code curves.png} (loss and accuracy per epoch), {@code confusion.png} (the test
 * confusion matrix) and {@code predictions.png} (test images with predicted and true classes). What
 * {@code kiln report <run>} writes.
 */
public final class Report {
    public static final String CURVES = "curves.png";
    public static final String CONFUSION = "confusion.png";
    public static final String PREDICTIONS = "predictions.png";

    private Report() {}

    /**
     * Writes the PNGs into {@code folder}: the curves when {@code history} has epochs, the confusion matrix and
     * the grid of the first {@code gridSize} samples when {@code test} is given (the grid only when its samples are images). Returns the files written.
     *
     * @param test data shaped for the model, labelled with its classes; null to skip the two test plots
     */
    public static List<Path> write(Path folder, String title, History history, Model model, Dataset test, int gridSize) throws IOException {
        Files.createDirectories(folder);
        List<Path> written = new ArrayList<>();
        if (history != null && history.size() > 0) written.add(png(TrainingCurves.render(history, title), folder.resolve(CURVES)));
        if (test != null && model != null) {
            ConfusionMatrix m = Evaluation.of(model, test);
            written.add(png(ConfusionPlot.render(m, title == null ? null : title + ": confusion matrix"), folder.resolve(CONFUSION)));
            if (!PredictionGrid.isImage(test.sampleShape())) return written;   // e.g. CSV features: nothing to show as pictures
            Dataset shown = test.slice(0, Math.min(gridSize, test.size()));
            Predictions p = Predictions.of(model, shown.features());
            written.add(png(PredictionGrid.render(shown, p, gridSize, title == null ? null : title + ": test predictions"), folder.resolve(PREDICTIONS)));
        }
        return written;
    }

    /** Writes {@code img} as PNG, atomically (a crash never leaves half a picture). */
    public static Path png(BufferedImage img, Path file) throws IOException {
        AtomicFiles.write(file, out -> {
            if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer in this JDK's javax.imageio");
        });
        return file;
    }
}
