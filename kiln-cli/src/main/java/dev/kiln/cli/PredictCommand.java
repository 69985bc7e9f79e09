package dev.kiln.cli;

import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import dev.kiln.data.DataSource;
import dev.kiln.nn.Model;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code kiln predict <model.kiln> <input>}: the top-k classes with their probabilities for an image, the
 * rows of a CSV or JSON file, or a dataset sample such as {@code fashion-mnist:test:0}.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, description = "Predict classes with a saved model.")
final class PredictCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelFile modelFile;

    @Parameters(index = "1", paramLabel = "<input>",
            description = "An image (PNG/JPEG; made grey, resized to the model's input, scaled to [0, 1]), a .csv or .json file of numbers "
                    + "(one sample per row / array), or <dataset>:test:<index> such as fashion-mnist:test:0. For a text model (one saved "
                    + "with its tokenizer) any argument that is not a file is the message itself.")
    String input;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "3", description = "How many classes to show per sample (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--invert", description = "Invert image brightness (for dark objects on a light background).")
    boolean invert;

    @Mixin
    DataOptions dataOptions;

    @Override
    public Integer call() throws IOException {
        if (topK < 1) throw new ParameterException(spec.commandLine(), "--top-k must be at least 1, got " + topK);
        Model model = null;
        Inputs.Samples samples = null;
        if (!Inputs.isDatasetRef(input) && !Inputs.isExistingPath(input) && java.nio.file.Files.isRegularFile(modelFile.path)) {
            model = modelFile.load();   // a text model (it carries its tokenizer) takes the argument as the message itself
            if (model.preprocessing() != null) samples = Inputs.text(input, model.preprocessing(), model.inputShape(),
                    Models.textSide(model, Models.TEXT_PADDING).equals("post"), Models.textSide(model, Models.TEXT_TRUNCATING).equals("post"), main.out());
        }
        if (samples == null && !Inputs.isDatasetRef(input)) Models.requireFile(spec, Path.of(input), "input");
        if (model == null) model = modelFile.load();
        PrintStream out = main.out();
        DataSource source = dataOptions.applyTo(main.dataSource());

        int[] inputShape = model.inputShape();
        if (samples == null) samples = Inputs.read(input, inputShape, invert, source, out);
        int n = samples.rows().length;
        float[] flat = new float[n * Shape.size(inputShape)];
        for (int i = 0; i < n; i++) System.arraycopy(samples.rows()[i], 0, flat, i * Shape.size(inputShape), Shape.size(inputShape));
        int[] batchShape = new int[inputShape.length + 1];
        batchShape[0] = n;
        System.arraycopy(inputShape, 0, batchShape, 1, inputShape.length);
        float[][] probabilities = probabilities(model, model.predict(Tensor.of(flat, batchShape)));
        int classes = probabilities[0].length;
        List<String> names = names(model, samples.classNames(), classes);

        int k = Math.min(topK, classes);
        int width = names.stream().mapToInt(String::length).max().orElse(1);
        for (int i = 0; i < n; i++) {
            StringBuilder head = new StringBuilder(samples.names().get(i));
            if (samples.trueLabels() != null) {
                int t = samples.trueLabels()[i];
                head.append(" (true class: ").append(t >= 0 && t < names.size() ? names.get(t) : Integer.toString(t)).append(')');
            }
            out.println(head);
            float[] p = probabilities[i];
            List<Integer> order = new ArrayList<>();
            for (int c = 0; c < classes; c++) order.add(c);
            order.sort(Comparator.comparingDouble((Integer c) -> -p[c]).thenComparingInt(c -> c));
            for (int r = 0; r < k; r++) {
                int c = order.get(r);
                out.printf(Locale.ROOT, "  %d. %-" + width + "s  %.4f%n", r + 1, names.get(c), p[c]);
            }
        }
        return 0;
    }

    /**
     * Class probabilities per sample: softmax (or sigmoid for one output) when the model outputs logits,
     * which the loss it was trained with says; a model saved without a loss is judged by its outputs.
     */
    static float[][] probabilities(Model model, Tensor outputs) {
        int n = outputs.shape(0);
        int c = outputs.size() / n;
        float[] v = outputs.toFloatArray();
        boolean logits = model.loss() != null ? model.loss().fromLogits() : !looksLikeProbabilities(v, n, c);
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            if (c == 1) {
                float z = v[i];
                float p = logits ? (float) (1 / (1 + Math.exp(-z))) : z;
                out[i] = new float[] {1 - p, p};
                continue;
            }
            float[] row = new float[c];
            System.arraycopy(v, i * c, row, 0, c);
            if (logits) {
                float max = Float.NEGATIVE_INFINITY;
                for (float x : row) max = Math.max(max, x);
                double sum = 0;
                for (int j = 0; j < c; j++) sum += row[j] = (float) Math.exp(row[j] - max);
                for (int j = 0; j < c; j++) row[j] /= (float) sum;
            }
            out[i] = row;
        }
        return out;
    }

    private static boolean looksLikeProbabilities(float[] v, int n, int c) {
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int j = 0; j < c; j++) {
                float x = v[i * c + j];
                if (x < 0 || x > 1) return false;
                sum += x;
            }
            if (c > 1 && Math.abs(sum - 1) > 1e-3) return false;
        }
        return true;
    }

    /** The model's recorded class names, else the input dataset's, else the class ids. */
    private static List<String> names(Model model, List<String> sourceNames, int classes) {
        List<String> recorded = Models.classNames(model);
        if (recorded.size() == classes) return recorded;
        if (sourceNames.size() == classes) return sourceNames;
        List<String> ids = new ArrayList<>();
        for (int c = 0; c < classes; c++) ids.add("class " + c);
        return ids;
    }
}
