package dev.kiln.report;

import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import dev.kiln.data.FeatureTransform;
import dev.kiln.data.image.ImageFolder;
import dev.kiln.data.image.ImageOptions;
import dev.kiln.nn.Model;
import dev.kiln.nn.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Predictions on new image files, saved as CSV: {@code file,predicted_class,probability}, one row per image in
 * the order given. Images are read like {@link ImageFolder} reads them (resized and converted to the model's
 * input size and channels, values in [0, 1]), then passed through the same transform the training data had.
 */
public final class ImagePredictions {
    /** One image's prediction. */
    public record Row(Path file, int classIndex, String className, float probability) {}

    private ImagePredictions() {}

    /** The image options that fit a model's input shape: {@code (H, W)} is read grey, {@code (H, W, C)} with C channels. */
    public static ImageOptions optionsFor(Model model) {
        int[] s = model.inputShape();
        if (s == null) throw new IllegalStateException("the model is not built: load or train it first");
        if (s.length == 2) return ImageOptions.of(s[0], s[1], 1);
        if (s.length == 3 && (s[2] == 1 || s[2] == 3)) return ImageOptions.of(s[0], s[1], s[2]);
        throw new IllegalArgumentException("the model's input shape " + Shape.str(s) + " is not an image (H, W) or (H, W, C) with C = 1 or 3");
    }

    /** Predicts {@code files} with images read to fit the model and no further transform. */
    public static List<Row> predict(Model model, List<Path> files, List<String> classNames) {
        return predict(model, files, optionsFor(model), (data, offset, n) -> { }, classNames);
    }

    /**
     * Predicts {@code files}.
     *
     * @param transform  what was applied to the training samples after loading (e.g. a fitted
     *                   {@link dev.kiln.data.image.ChannelNormalization})
     * @param classNames names by class index, or empty to write indices
     */
    public static List<Row> predict(Model model, List<Path> files, ImageOptions options, FeatureTransform transform, List<String> classNames) {
        Objects.requireNonNull(transform, "transform");
        if (files.isEmpty()) return List.of();
        int size = options.sampleSize();
        int[] in = model.inputShape();
        if (in == null || Shape.size(in) != size) {
            throw new IllegalArgumentException("images read as " + Shape.str(options.sampleShape()) + " do not fit the model's input "
                    + (in == null ? "(not built)" : Shape.str(in)) + "; use ImagePredictions.optionsFor(model)");
        }
        float[] x = ImageFolder.readAll(files, options);
        for (int off = 0; off < x.length; off += size) transform.applyInPlace(x, off, size);
        int[] shape = new int[in.length + 1];
        shape[0] = files.size();
        System.arraycopy(in, 0, shape, 1, in.length);
        Predictions p = Predictions.of(model, Tensor.of(x, shape));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            int c = p.classes()[i];
            rows.add(new Row(files.get(i), c, c < classNames.size() ? classNames.get(c) : Integer.toString(c), p.probabilities()[i]));
        }
        return rows;
    }

    /** Writes {@code rows} as CSV (RFC 4180 quoting), atomically. */
    public static void writeCsv(List<Row> rows, Path csv) throws IOException {
        StringBuilder sb = new StringBuilder("file,predicted_class,probability\n");
        for (Row r : rows) {
            sb.append(field(r.file().toString())).append(',').append(field(r.className())).append(',')
                    .append(String.format(Locale.ROOT, "%.6f", r.probability())).append('\n');
        }
        AtomicFiles.writeString(csv, sb.toString());
    }

    static String field(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
