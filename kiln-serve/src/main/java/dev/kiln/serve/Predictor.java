package dev.kiln.serve;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Model;
import dev.kiln.nn.losses.Loss;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * In-process inference on one loaded model, shared by any number of threads.
 *
 * <p>Thread-safety: every method may be called concurrently. The model is built once and only read:
 * {@link Model#predict} runs under {@code Grad.noGrad} (a per-thread {@code ScopedValue}), records no graph
 * and writes nothing into the layers, so concurrent calls never see each other (checked by
 * {@code PredictorTest}). Do not train the model while a Predictor uses it.
 *
 * <p>Classifiers (a model compiled with a classification loss, or saved with {@code class_names}) answer
 * class probabilities: softmax over the outputs (sigmoid for a single output) when the loss says the model
 * outputs logits, the outputs as they are otherwise.
 */
public final class Predictor {
    /** Provenance key under which {@code kiln train} records class names (a JSON array). */
    public static final String CLASS_NAMES = "class_names";

    private final Model model;
    private final int[] inputShape;
    private final int inputSize;
    private final int[] outputShape;
    private final int outputSize;
    private final boolean classifier;
    private final boolean logits;
    private final List<String> classNames;
    private final RawInputs rawInputs;

    /** A score for one class: its id, its label (recorded class name or the id) and its probability. */
    public record ClassScore(int classId, String label, float probability) {}

    /** The classes of one sample, most probable first (at most top-k of them). */
    public record Classification(List<ClassScore> top) {
        public Classification {
            top = List.copyOf(top);
        }

        public ClassScore best() {
            return top.getFirst();
        }
    }

    public Predictor(Model model) {
        if (!model.isBuilt()) throw new IllegalArgumentException("the model is not built; load a saved model or call build(inputShape) first");
        this.model = model;
        this.inputShape = model.inputShape();
        this.inputSize = Shape.size(inputShape);
        this.outputShape = model.outputShape();
        this.outputSize = Shape.size(outputShape);
        List<String> names = recordedClassNames(model);
        Loss loss = model.loss();
        this.classifier = outputShape.length == 1 && (loss != null ? loss.isClassification() : !names.isEmpty());
        this.logits = loss != null && loss.fromLogits();
        int classes = outputSize == 1 ? 2 : outputSize;
        if (names.size() != classes) {
            names = new ArrayList<>();
            for (int c = 0; c < classes; c++) names.add(Integer.toString(c));
        }
        this.classNames = List.copyOf(names);
        this.rawInputs = new RawInputs(inputShape, model.preprocessing());
    }

    /** Loads a {@code .kiln} file (never executes code from it) and wraps it. */
    public static Predictor load(Path file) throws IOException {
        return new Predictor(Model.load(file));
    }

    public Model model() {
        return model;
    }

    /** Input shape of one sample (no batch dimension). */
    public int[] inputShape() {
        return inputShape.clone();
    }

    /** Numbers in one sample. */
    public int inputSize() {
        return inputSize;
    }

    public int[] outputShape() {
        return outputShape.clone();
    }

    public int outputSize() {
        return outputSize;
    }

    public boolean isClassifier() {
        return classifier;
    }

    /** How raw strings and base64 images become this model's input (the server's predict endpoints). */
    RawInputs rawInputs() {
        return rawInputs;
    }

    /** Class labels by class id: the recorded class names, else the ids as text. */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * Raw model outputs for a batch of samples, each given flat (row-major in the input shape).
     *
     * @throws IllegalArgumentException when a sample has the wrong size or holds NaN or infinity
     */
    public float[][] predict(float[][] samples) {
        if (samples.length == 0) return new float[0][];
        float[] flat = new float[samples.length * inputSize];
        for (int i = 0; i < samples.length; i++) {
            float[] s = samples[i];
            if (s.length != inputSize) {
                throw new IllegalArgumentException("sample " + i + " has " + s.length + " numbers but the model takes " + inputSize
                        + " per sample (input shape " + Shape.str(inputShape) + ")");
            }
            for (int j = 0; j < s.length; j++) {
                if (!Float.isFinite(s[j])) {
                    throw new IllegalArgumentException("sample " + i + " holds " + s[j] + " at position " + j + "; inputs must be finite numbers");
                }
            }
            System.arraycopy(s, 0, flat, i * inputSize, inputSize);
        }
        int[] batchShape = new int[inputShape.length + 1];
        batchShape[0] = samples.length;
        System.arraycopy(inputShape, 0, batchShape, 1, inputShape.length);
        float[] out = model.predict(Tensor.of(flat, batchShape)).toFloatArray();
        float[][] rows = new float[samples.length][];
        for (int i = 0; i < rows.length; i++) rows[i] = Arrays.copyOfRange(out, i * outputSize, (i + 1) * outputSize);
        return rows;
    }

    /** Class probabilities of one output row (see the class comment for when softmax/sigmoid is applied). */
    public float[] probabilities(float[] outputs) {
        if (outputs.length == 1) {
            float z = outputs[0];
            float p = logits ? (float) (1 / (1 + Math.exp(-z))) : z;
            return new float[] {1 - p, p};
        }
        float[] row = outputs.clone();
        if (logits) {
            float max = Float.NEGATIVE_INFINITY;
            for (float x : row) max = Math.max(max, x);
            double sum = 0;
            for (int j = 0; j < row.length; j++) sum += row[j] = (float) Math.exp(row[j] - max);
            for (int j = 0; j < row.length; j++) row[j] /= (float) sum;
        }
        return row;
    }

    /** The {@code k} most probable classes of one output row, ties broken by the lower class id. */
    public Classification classify(float[] outputs, int k) {
        if (k < 1) throw new IllegalArgumentException("top-k must be at least 1, got " + k);
        float[] p = probabilities(outputs);
        int n = Math.min(k, p.length);
        // Selection of the k largest: k is small (usually 1 to 5), so k passes beat sorting every class.
        boolean[] taken = new boolean[p.length];
        List<ClassScore> top = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            int best = -1;
            for (int c = 0; c < p.length; c++) if (!taken[c] && (best < 0 || p[c] > p[best])) best = c;
            taken[best] = true;
            top.add(new ClassScore(best, classNames.get(best), p[best]));
        }
        return new Classification(top);
    }

    /** Classifies a batch of samples: {@link #predict} then {@link #classify} per row. */
    public List<Classification> classify(float[][] samples, int k) {
        List<Classification> out = new ArrayList<>(samples.length);
        for (float[] row : predict(samples)) out.add(classify(row, k));
        return out;
    }

    private static List<String> recordedClassNames(Model model) {
        String json = model.provenance().get(CLASS_NAMES);
        if (json == null) return List.of();
        try {
            List<String> names = new ObjectMapper().readValue(json, new TypeReference<List<String>>() {});
            return names == null || names.contains(null) ? List.of() : List.copyOf(names);
        } catch (IOException e) {
            return List.of();   // an unreadable optional entry only costs the names, never the prediction
        }
    }
}
