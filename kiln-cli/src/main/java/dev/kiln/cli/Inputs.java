package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.Shape;
import dev.kiln.data.DataSource;
import dev.kiln.data.Dataset;
import java.awt.Graphics2D;
import java.awt.Image;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * Reads what {@code kiln predict} is given into model inputs: an image, a CSV or JSON file of numbers, or a
 * sample of a dataset named as {@code fashion-mnist:test:<index>}.
 */
final class Inputs {
    /** {@code <dataset>:<split>:<index>}, e.g. {@code fashion-mnist:test:0}. */
    static final Pattern DATASET_REF = Pattern.compile("(fashion-mnist|fashion-mnist-subset|mnist):(test|train):(\\d+)");
    static final List<String> IMAGE_SUFFIXES = List.of(".png", ".jpg", ".jpeg", ".gif", ".bmp");

    private Inputs() {}

    /**
     * Samples to predict, each already in the model's input size.
     *
     * @param names      a label per sample for the output ("input.csv row 2")
     * @param trueLabels the known class of each sample, or null
     * @param classNames the source's class names (a dataset's), or empty
     */
    record Samples(float[][] rows, List<String> names, int[] trueLabels, List<String> classNames) {}

    static boolean isDatasetRef(String input) {
        return DATASET_REF.matcher(input).matches();
    }

    static Samples read(String input, int[] inputShape, boolean invert, DataSource source, PrintStream notes) throws IOException {
        Matcher m = DATASET_REF.matcher(input);
        if (m.matches()) return datasetSample(m, inputShape, source, notes);
        Path file = Path.of(input);
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (IMAGE_SUFFIXES.stream().anyMatch(name::endsWith)) return new Samples(new float[][] {image(file, inputShape, invert, notes)}, List.of(input), null, List.of());
        if (name.endsWith(".csv")) return csv(file, Shape.size(inputShape));
        if (name.endsWith(".json")) return json(file, Shape.size(inputShape));
        throw new CliException(input + ": unknown kind of input; give an image (.png, .jpg), a .csv or .json file of numbers, or <dataset>:test:<index> such as fashion-mnist:test:0");
    }

    /** Whether the argument names an existing file or folder (a text that is not a valid path is not one). */
    static boolean isExistingPath(String input) {
        try {
            return Files.exists(Path.of(input));
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    /**
     * A raw message for a model that carries its tokenizer: encoded, then padded and truncated to the model's
     * length the way {@code TextDataset.encode} prepared its training data (Keras's defaults, padding and
     * truncation at the start, unless {@code postPadding} / {@code postTruncating}; a note says when an
     * over-long message is cut).
     */
    static Samples text(String text, String preprocessing, int[] inputShape, boolean postPadding, boolean postTruncating, PrintStream notes) {
        if (inputShape.length != 1) {
            throw new CliException("the model carries a tokenizer but takes inputs of shape " + Shape.str(inputShape)
                    + " per sample, not a sequence of token ids (timesteps,); predict on a .csv or .json file instead");
        }
        if (text.isBlank()) throw new CliException("the message is empty; give some text to classify, e.g. \"WIN a free prize\"");
        dev.kiln.data.text.Tokenizer tokenizer;
        try {
            tokenizer = dev.kiln.data.text.Tokenizers.fromJson(preprocessing);
        } catch (IllegalArgumentException e) {
            throw new CliException("the model's saved tokenizer cannot be read: " + e.getMessage());
        }
        int[] ids = tokenizer.encode(text);
        if (ids.length == 0) throw new CliException("the message has no words the tokenizer keeps (only punctuation or spaces?); give some text");
        int maxLen = inputShape[0];
        if (ids.length > maxLen) {
            notes.println("Note: the message has " + ids.length + " tokens; the model reads sequences of " + maxLen + ", so only the "
                    + (postTruncating ? "first " : "last ") + maxLen + " are used");
        }
        float[] row = dev.kiln.data.text.Sequences.padToFloats(List.of(ids), maxLen,
                postPadding ? dev.kiln.data.text.Sequences.Padding.POST : dev.kiln.data.text.Sequences.Padding.PRE,
                postTruncating ? dev.kiln.data.text.Sequences.Truncating.POST : dev.kiln.data.text.Sequences.Truncating.PRE, dev.kiln.data.text.Tokenizer.PAD);
        String name = text.strip().replaceAll("\\s+", " ");
        if (name.length() > 60) name = name.substring(0, 57) + "...";
        return new Samples(new float[][] {row}, List.of("\"" + name + "\""), null, List.of());
    }

    private static Samples datasetSample(Matcher m, int[] inputShape, DataSource source, PrintStream notes) {
        boolean test = m.group(2).equals("test");
        DataSets.Loaded loaded = test ? DataSets.namedTest(m.group(1), source, notes, "taking the sample from the subset")
                : DataSets.named(m.group(1), source, notes, "taking the sample from the subset");
        Dataset d = test ? loaded.test() : loaded.train();
        int index;
        try {
            index = Integer.parseInt(m.group(3));
        } catch (NumberFormatException e) {
            index = Integer.MAX_VALUE;
        }
        if (index >= d.size()) {
            throw new CliException(m.group() + ": index " + m.group(3) + " is out of range; the " + loaded.description() + " " + m.group(2)
                    + " split has samples 0 to " + (d.size() - 1));
        }
        Dataset one = DataSets.reshape(d.subset(new int[] {index}), inputShape, loaded.description());
        return new Samples(new float[][] {one.features().toFloatArray()}, List.of(m.group()), new int[] {one.label(0)}, d.classNames());
    }

    /**
     * An image as the model's input: grey (luminance, transparent pixels over black), resized to the input's
     * height and width by area averaging, scaled to [0, 1]; optionally inverted, because Fashion-MNIST and
     * MNIST are light objects on black while most photos are dark on white.
     */
    static float[] image(Path file, int[] inputShape, boolean invert, PrintStream notes) throws IOException {
        int[] hw = imageSize(inputShape);
        BufferedImage src = ImageIO.read(file.toFile());
        if (src == null) throw new CliException(file + " is not an image Java can read; use PNG, JPEG, GIF or BMP");
        Image scaled = src.getWidth() == hw[1] && src.getHeight() == hw[0] ? src : src.getScaledInstance(hw[1], hw[0], Image.SCALE_AREA_AVERAGING);
        BufferedImage argb = new BufferedImage(hw[1], hw[0], BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = argb.createGraphics();
        g.drawImage(scaled, 0, 0, null);
        g.dispose();
        float[] px = new float[hw[0] * hw[1]];
        double mean = 0;
        for (int y = 0; y < hw[0]; y++) {
            for (int x = 0; x < hw[1]; x++) {
                int p = argb.getRGB(x, y);
                double a = (p >>> 24) / 255.0;
                double lum = (0.299 * (p >> 16 & 0xFF) + 0.587 * (p >> 8 & 0xFF) + 0.114 * (p & 0xFF)) / 255.0 * a;
                float v = (float) (invert ? 1 - lum : lum);
                px[y * hw[1] + x] = v;
                mean += v;
            }
        }
        mean /= px.length;
        if (!invert && mean > 0.5) {
            notes.println("Note: " + file + " is mostly light; Fashion-MNIST and MNIST images are light objects on a black background. "
                    + "If the object is dark on a light background, add --invert.");
        }
        return px;
    }

    /** (height, width) of an image-shaped input: (H, W), (H, W, 1), (1, H, W), or a square (H·W,) vector. */
    static int[] imageSize(int[] s) {
        if (s.length == 2) return s.clone();
        if (s.length == 3 && s[2] == 1) return new int[] {s[0], s[1]};
        if (s.length == 3 && s[0] == 1) return new int[] {s[1], s[2]};
        if (s.length == 1) {
            int side = (int) Math.round(Math.sqrt(s[0]));
            if (side * side == s[0]) return new int[] {side, side};
        }
        throw new CliException("the model's input shape " + Shape.str(s) + " is not a grey image (H, W), (H, W, 1) or a square vector; "
                + "predict on a .csv or .json file of numbers instead");
    }

    /**
     * Rows of numbers, one sample each. A first line that is not all numbers is a header; a header column
     * named {@code label} is taken as the true class and left out of the features.
     */
    static Samples csv(Path file, int size) throws IOException {
        List<String> lines = Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) throw new CliException(file + " is empty; expected rows of " + size + " comma-separated numbers");
        int labelCol = -1;
        int first = 0;
        String[] head = split(lines.getFirst());
        if (!Arrays.stream(head).allMatch(Inputs::isNumber)) {
            first = 1;
            labelCol = Arrays.asList(head).indexOf("label");
        }
        List<float[]> rows = new ArrayList<>();
        List<String> names = new ArrayList<>();
        int[] labels = labelCol >= 0 ? new int[lines.size() - first] : null;
        for (int i = first; i < lines.size(); i++) {
            String[] cells = split(lines.get(i));
            int expected = size + (labelCol >= 0 ? 1 : 0);
            if (cells.length != expected) {
                throw new CliException(file + ", line " + (i + 1) + ": " + cells.length + " values, expected " + expected
                        + (labelCol >= 0 ? " (the model's " + size + " inputs and the label)" : " (the model's input size)"));
            }
            float[] row = new float[size];
            int k = 0;
            for (int j = 0; j < cells.length; j++) {
                float v = number(cells[j], file + ", line " + (i + 1) + ", column " + (j + 1));
                if (j == labelCol) labels[i - first] = (int) v;
                else row[k++] = v;
            }
            rows.add(row);
            names.add(file + " row " + (i - first + 1));
        }
        if (rows.isEmpty()) throw new CliException(file + " has a header but no rows of numbers");
        return new Samples(rows.toArray(float[][]::new), names, labels, List.of());
    }

    /** A JSON array of numbers (one sample, nested as the input shape or flat), or an array of such samples. */
    static Samples json(Path file, int size) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CliException(file + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isArray()) throw new CliException(file + ": expected a JSON array of numbers (one sample) or of samples");
        List<Float> all = new ArrayList<>();
        flatten(root, all, file);
        List<float[]> rows = new ArrayList<>();
        if (all.size() == size) {
            rows.add(toArray(all));
        } else {
            for (JsonNode sample : root) {
                List<Float> values = new ArrayList<>();
                flatten(sample, values, file);
                if (values.size() != size) {
                    throw new CliException(file + ": sample " + (rows.size() + 1) + " has " + values.size() + " numbers but the model takes "
                            + size + " per sample (the whole file has " + all.size() + ")");
                }
                rows.add(toArray(values));
            }
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) names.add(file + (rows.size() == 1 ? "" : " sample " + (i + 1)));
        return new Samples(rows.toArray(float[][]::new), names, null, List.of());
    }

    private static void flatten(JsonNode n, List<Float> out, Path file) {
        if (n.isArray()) {
            for (JsonNode c : n) flatten(c, out, file);
        } else if (n.isNumber()) {
            out.add(n.floatValue());
        } else {
            throw new CliException(file + ": found " + n + " where a number was expected; inputs must be numbers");
        }
    }

    private static float[] toArray(List<Float> values) {
        float[] a = new float[values.size()];
        for (int i = 0; i < a.length; i++) a[i] = values.get(i);
        return a;
    }

    private static String[] split(String line) {
        String[] cells = line.split(",", -1);
        for (int i = 0; i < cells.length; i++) cells[i] = cells[i].strip();
        return cells;
    }

    private static boolean isNumber(String s) {
        try {
            Float.parseFloat(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static float number(String cell, String where) {
        try {
            float v = Float.parseFloat(cell);
            if (!Float.isFinite(v)) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new CliException(where + ": '" + cell + "' is not a finite number");
        }
    }
}
