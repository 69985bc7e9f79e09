package dev.kiln.nn.layers;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;

/**
 * Token ids → vectors: a trainable table (vocabulary, dim) looked up by id, as Keras {@code Embedding}.
 * Ids arrive as floats (B, T) (Kiln's datasets are float); each must be an integer in [0, vocabulary).
 * With {@code maskZero}, id 0 is padding and the layer emits a (B, T) mask that recurrent layers and
 * attention downstream use to skip those steps.
 */
public final class Embedding extends Layer {
    /**
     * {@code embeddingsInitializer} null means Keras's default, random_uniform (±0.05); left out of the model file
     * then, so files written before the option existed read the same.
     */
    public record Config(String name, int inputDim, int outputDim, boolean maskZero,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Initializer embeddingsInitializer) implements LayerConfig {
        public Config {
            if (inputDim < 1) throw new IllegalArgumentException("Embedding inputDim (vocabulary size) must be >= 1, got " + inputDim);
            if (outputDim < 1) throw new IllegalArgumentException("Embedding outputDim must be >= 1, got " + outputDim);
        }

        public Config(String name, int inputDim, int outputDim, boolean maskZero) {
            this(name, inputDim, outputDim, maskZero, null);
        }

        public Config withMaskZero(boolean m) { return new Config(name, inputDim, outputDim, m, embeddingsInitializer); }

        public Config withEmbeddingsInitializer(Initializer i) { return new Config(name, inputDim, outputDim, maskZero, i); }

        @Override
        public Layer create() {
            return new Embedding(this);
        }
    }

    private final Config config;

    public Embedding(Config config) {
        super(config.name());
        this.config = config;
    }

    public Embedding(int inputDim, int outputDim) {
        this(new Config(null, inputDim, outputDim, false));
    }

    public Embedding(int inputDim, int outputDim, boolean maskZero) {
        this(new Config(null, inputDim, outputDim, maskZero));
    }

    @Override
    public String typeName() {
        return "Embedding";
    }

    @Override
    public Config config() {
        return new Config(name(), config.inputDim(), config.outputDim(), config.maskZero(), config.embeddingsInitializer());
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        // Keras initialises embeddings uniform in [-0.05, 0.05] (random_uniform).
        Initializer init = config.embeddingsInitializer() == null ? Initializer.RANDOM_UNIFORM : config.embeddingsInitializer();
        addParameter("embeddings", init.create(rng, config.inputDim(), config.outputDim()));
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        int[] out = java.util.Arrays.copyOf(inputShape, inputShape.length + 1);
        out[inputShape.length] = config.outputDim();
        return out;
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        return lookup(x);
    }

    /** The vectors of the ids in {@code x} (B, ...) → (B, ..., dim), for any sequence length. */
    public Tensor lookup(Tensor x) {
        int[] ids = ids(x);
        // (B, ..., dim) of the last call, reused while x's shape stays the same: no shape array per training step.
        // Volatile, as a model may predict on several threads; the arrays are never changed once published.
        int[] shape = lookupShape;
        if (shape == null || shape.length != x.rank() + 1 || !sameLeading(shape, x)) lookupShape = shape = outputShape(x.shape());
        return parameter("embeddings").indexSelect(0, ids).reshape(shape);   // (B·T, dim) → (B, T, dim)
    }

    private static boolean sameLeading(int[] shape, Tensor x) {
        for (int i = 0; i < x.rank(); i++) if (shape[i] != x.shape(i)) return false;
        return true;
    }

    /**
     * The ids of {@code x} as ints, in the calling thread's scratch: valid until its next lookup, which is enough since
     * indexSelect copies them into its graph node (a step's ids are 51 KB of floats and 51 KB of ints at 128 × 100).
     */
    private int[] ids(Tensor x) {
        int n = x.size();
        IdScratch s = ID_SCRATCH.get();
        if (s.values.length < n) s.values = new float[n];
        if (s.ids.length != n) s.ids = new int[n];   // exactly n: indexSelect takes the whole array
        float[] v = x.toFloatArray(s.values);
        int[] ids = s.ids;
        for (int i = 0; i < n; i++) {
            int id = (int) v[i];
            if (id != v[i] || id < 0 || id >= config.inputDim()) {
                throw new IllegalArgumentException("layer '" + name() + "' (Embedding) got token id " + v[i] + " at position " + i
                        + "; ids must be integers in [0, " + config.inputDim() + "). Use a tokenizer whose vocabulary fits, or raise inputDim");
            }
            ids[i] = id;
        }
        return ids;
    }

    private static final class IdScratch {
        float[] values = new float[0];
        int[] ids = new int[0];
    }

    private static final ThreadLocal<IdScratch> ID_SCRATCH = ThreadLocal.withInitial(IdScratch::new);
    private volatile int[] lookupShape;

    @Override
    public Tensor computeMask(Tensor x, Tensor mask) {
        return config.maskZero() ? x.notEqual(0) : mask;   // (B, T)
    }

    @Override
    public String toString() {
        return "Embedding(" + config.inputDim() + ", " + config.outputDim() + (config.maskZero() ? ", maskZero" : "") + ")";
    }
}
