package dev.kiln.nn;

import dev.kiln.core.Grad;
import dev.kiln.core.Rng;
import dev.kiln.core.Shape;
import dev.kiln.core.StepArena;
import dev.kiln.core.Tensor;
import dev.kiln.data.Batch;
import dev.kiln.data.Dataset;
import dev.kiln.nn.callbacks.Callback;
import dev.kiln.nn.layers.CallContext;
import dev.kiln.nn.layers.Layer;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Optimizer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A trainable network: Keras's compile / fit / evaluate / predict / summary on top of {@link #call}.
 * Subclasses define the graph ({@link Sequential}); training is one loop ({@link TrainingLoop}) shared by all.
 *
 * <p>Thread-safety: {@link #predict} may be called from many threads at once on a built model that is not
 * training; everything else is single-threaded.
 */
public abstract class Model {
    private Optimizer optimizer;
    private Loss loss;
    private boolean trackAccuracy;
    private long seed = 42;
    private Map<String, String> provenance = Map.of();
    private String preprocessing;
    private final ArrayDeque<StepArena> inferenceArenas = new ArrayDeque<>();   // idle ones; see forward
    private List<Tensor> parameterList;   // see parameterList()
    private final ParameterCheck parameterCheck = new ParameterCheck();

    /** Forward pass on a batch. */
    public abstract Tensor call(Tensor x, CallContext ctx);

    /** Layers in execution order. */
    public abstract List<Layer> layers();

    /** Input shape without the batch dimension, or null before the model is built. */
    public abstract int[] inputShape();

    /** Builds every layer for inputs of {@code inputShape} (no batch dimension), creating weights from the seed. */
    public abstract Model build(int... inputShape);

    public boolean isBuilt() {
        return inputShape() != null;
    }

    /** Output shape without the batch dimension. */
    public int[] outputShape() {
        int[] s = inputShape();
        if (s == null) throw new IllegalStateException("model is not built yet: call build(inputShape) or fit first");
        for (Layer l : layers()) s = l.outputShape(s);
        return s;
    }

    /** Seed for weight initialisation (before building) — one seed fixes a run. */
    public Model seed(long seed) {
        this.seed = seed;
        return this;
    }

    public long seed() {
        return seed;
    }

    protected Rng initRng() {
        return new Rng(seed);
    }

    /** Chooses the optimiser, the loss and the metrics ({@code "accuracy"} is the one supported so far). */
    public Model compile(Optimizer optimizer, Loss loss, String... metrics) {
        this.optimizer = optimizer;
        this.loss = loss;
        this.trackAccuracy = false;
        for (String m : metrics) {
            if (m.equalsIgnoreCase("accuracy") || m.equalsIgnoreCase("acc")) {
                if (!loss.isClassification()) throw new IllegalArgumentException("metric 'accuracy' needs a classification loss, not " + loss.keras());
                trackAccuracy = true;
            } else {
                throw new IllegalArgumentException("unknown metric '" + m + "'; supported: accuracy (precision/recall/F1 come from Evaluation)");
            }
        }
        return this;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public Loss loss() {
        return loss;
    }

    public boolean tracksAccuracy() {
        return trackAccuracy;
    }

    /** Trains on {@code train}; see {@link FitOptions} for Keras-like settings. */
    public History fit(Dataset train, FitOptions options, Callback... callbacks) {
        requireCompiled("fit");
        if (!isBuilt()) {
            seed(options.seed());
            build(train.sampleShape());
        }
        return new TrainingLoop(this, train, options, List.of(callbacks)).run();
    }

    /** Loss (and accuracy when tracked) over a whole dataset, in inference mode. */
    public Map<String, Double> evaluate(Dataset data) {
        return evaluate(data, 256);
    }

    public Map<String, Double> evaluate(Dataset data, int batchSize) {
        requireCompiled("evaluate");
        double lossSum = 0;
        long correct = 0;
        int seen = 0;
        for (Batch b : data.batches(batchSize, false, null)) {
            Tensor pred = Grad.noGrad(() -> call(b.x(), CallContext.inference()));
            Tensor target = TrainingLoop.targets(loss, b.y(), pred);
            lossSum += loss.compute(pred, target).item() * b.y().length;
            if (trackAccuracy) correct += TrainingLoop.correct(loss, pred, b.y());
            seen += b.y().length;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("loss", seen == 0 ? Double.NaN : lossSum / seen);
        if (trackAccuracy) out.put("accuracy", seen == 0 ? Double.NaN : (double) correct / seen);
        return out;
    }

    /** Outputs for a batch of inputs (B, ...inputShape), computed in chunks of 256 without recording gradients. */
    public Tensor predict(Tensor x) {
        if (!isBuilt()) throw new IllegalStateException("model is not built: train it, load it, or call build(inputShape) first");
        int n = x.shape(0);
        int chunk = 256;
        if (n <= chunk) return forward(x);
        List<Tensor> parts = new ArrayList<>();
        for (int i = 0; i < n; i += chunk) parts.add(forward(x.slice(0, i, Math.min(n, i + chunk))));
        return Tensor.concat(0, parts.toArray(Tensor[]::new));
    }

    /**
     * One inference forward pass whose intermediate activations live in a {@link StepArena} borrowed for the call, so
     * repeated predictions of one shape reuse their arrays; only the returned output is fresh storage (a copy made
     * outside the arena, since the caller keeps it). One arena per concurrent caller, each holding one pass's
     * activations between calls. {@code kiln.stepArena=off} allocates afresh, {@code poison} NaN-fills recycled arrays.
     */
    private Tensor forward(Tensor x) {
        String mode = System.getProperty("kiln.stepArena", "on");
        if (mode.equals("off")) return Grad.noGrad(() -> call(x, CallContext.inference()));
        StepArena arena;
        synchronized (inferenceArenas) {
            arena = inferenceArenas.pollFirst();
        }
        if (arena == null || arena.poisons() != mode.equals("poison")) arena = new StepArena(mode.equals("poison"));
        try {
            StepArena a = arena;
            return Grad.noGrad(() -> a.call(() -> call(x, CallContext.inference())).copy());   // copy: outside the arena
        } finally {
            arena.reset();   // nothing computed inside is referenced any more: the caller only gets the copy
            synchronized (inferenceArenas) {
                inferenceArenas.addFirst(arena);
            }
        }
    }

    /** Class ids predicted for a batch: argmax over the last axis, or threshold 0.5 (logit 0) for one output. */
    public int[] predictClasses(Tensor x) {
        Tensor p = predict(x);
        if (p.shape(-1) > 1) return p.argmaxLastAxis();
        float threshold = loss != null && loss.fromLogits() ? 0f : 0.5f;
        float[] v = p.toFloatArray();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] > threshold ? 1 : 0;
        return out;
    }

    /** Every trainable parameter by its full name ({@code dense_1.kernel}), in layer order. */
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Layer l : layers()) for (var e : l.parameters().entrySet()) out.put(l.name() + "." + e.getKey(), e.getValue());
        return out;
    }

    /**
     * {@link #parameters()}'s tensors as a list, for loops that step an optimiser every batch: the list is kept
     * and handed out again while every layer still holds the same tensors in the same order (checked by identity
     * on each call, which allocates nothing), and rebuilt once a parameter was replaced or added. Unmodifiable.
     */
    public List<Tensor> parameterList() {
        synchronized (parameterCheck) {
            List<Tensor> cached = parameterList;
            if (cached == null || !parameterCheck.holds(cached, layers())) parameterList = cached = List.copyOf(parameters().values());
            return cached;
        }
    }

    /**
     * Whether the layers hold exactly {@code list}'s tensors in order, walked with the maps' own forEach and this one
     * reusable visitor: a for-each over the maps made two iterators per layer every training step.
     */
    private static final class ParameterCheck implements java.util.function.BiConsumer<String, Tensor> {
        private List<Tensor> list;
        private int i;
        private boolean same;

        boolean holds(List<Tensor> list, List<Layer> layers) {
            this.list = list;
            i = 0;
            same = true;
            for (int l = 0, n = layers.size(); l < n && same; l++) layers.get(l).parameters().forEach(this);
            boolean result = same && i == list.size();
            this.list = null;
            return result;
        }

        @Override
        public void accept(String name, Tensor p) {
            if (same && (i >= list.size() || list.get(i) != p)) same = false;
            i++;
        }
    }

    public long parameterCount() {
        long n = 0;
        for (Layer l : layers()) n += l.parameterCount();
        return n;
    }

    /** Non-trainable state (BatchNormalization's moving statistics) by full name, in layer order; saved with the model. */
    public Map<String, Tensor> buffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Layer l : layers()) for (var e : l.buffers().entrySet()) out.put(l.name() + "." + e.getKey(), e.getValue());
        return out;
    }

    /** Number of scalar non-trainable values. */
    public long bufferCount() {
        long n = 0;
        for (Layer l : layers()) n += l.bufferCount();
        return n;
    }

    /** Writes the model (architecture, weights, compile settings, provenance) atomically to a {@code .kiln} file. */
    public void save(java.nio.file.Path file) throws java.io.IOException {
        dev.kiln.nn.io.ModelFile.save(this, file);
    }

    /** Reads a {@code .kiln} file; it predicts bit-identically to the model that was saved. */
    public static Model load(java.nio.file.Path file) throws java.io.IOException {
        return dev.kiln.nn.io.ModelFile.load(file);
    }

    /**
     * How raw inputs become this model's inputs, as JSON (a tokenizer's {@code toJson()}, which
     * {@code Tokenizers.fromJson} reads back), or null. Saved in the model file so {@code kiln predict} and
     * {@code kiln generate} take raw text. Kiln stores the string as given and never executes it.
     */
    public String preprocessing() {
        return preprocessing;
    }

    public Model preprocessing(String json) {
        this.preprocessing = json;
        return this;
    }

    /** Provenance strings recorded with the model (Kiln version, JDK, seed, data hash, ...). */
    public Map<String, String> provenance() {
        return provenance;
    }

    public void provenance(Map<String, String> p) {
        this.provenance = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(p));
    }

    /** A Keras-style table of layers, output shapes and parameter counts. */
    public String summary() {
        List<int[]> shapes = layerOutputShapes();
        StringBuilder sb = new StringBuilder();
        String rule = "-".repeat(66) + "\n";
        sb.append("Model: \"").append(getClass().getSimpleName().toLowerCase(Locale.ROOT)).append("\"\n").append(rule);
        sb.append(String.format(Locale.ROOT, "%-30s %-22s %12s%n", "Layer (type)", "Output Shape", "Param #"));
        sb.append("=".repeat(66)).append('\n');
        for (int i = 0; i < layers().size(); i++) {
            Layer l = layers().get(i);
            String out = shapes == null ? "?" : Layer.batchShape(shapes.get(i)).replace("batch", "None");
            sb.append(String.format(Locale.ROOT, "%-30s %-22s %,12d%n", l.name() + " (" + l.typeName() + ")", out, l.parameterCount() + l.bufferCount()));
        }
        sb.append("=".repeat(66)).append('\n');
        long total = parameterCount() + bufferCount();
        sb.append(String.format(Locale.ROOT, "Total params: %,d (%s)%n", total, bytes(total * 4)));
        sb.append(String.format(Locale.ROOT, "Trainable params: %,d%n", parameterCount()));
        sb.append(String.format(Locale.ROOT, "Non-trainable params: %,d%n", bufferCount())).append(rule);
        return sb.toString();
    }

    /** Each layer's output shape (no batch dimension) in {@link #layers()} order, or null before building. */
    protected List<int[]> layerOutputShapes() {
        int[] s = inputShape();
        if (s == null) return null;
        List<int[]> out = new ArrayList<>();
        for (Layer l : layers()) out.add(s = l.outputShape(s));
        return out;
    }

    private static String bytes(long b) {
        if (b < 1024) return b + " B";
        if (b < 1024 * 1024) return String.format(Locale.ROOT, "%.2f KB", b / 1024.0);
        return String.format(Locale.ROOT, "%.2f MB", b / (1024.0 * 1024));
    }

    private void requireCompiled(String what) {
        if (optimizer == null || loss == null) {
            throw new IllegalStateException(what + "() needs a compiled model: call compile(optimizer, loss, \"accuracy\") first");
        }
    }
}
