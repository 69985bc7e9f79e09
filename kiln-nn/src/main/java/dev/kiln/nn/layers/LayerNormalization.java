package dev.kiln.nn.layers;

import dev.kiln.core.LayerNorm;
import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;

/**
 * Layer normalisation over the last axis (Ba, Kiros &amp; Hinton 2016): {@code (x − mean) / √(var + ε) · gamma + beta},
 * with the biased variance, as Keras and PyTorch compute it. Keras's default ε is 1e-3, PyTorch's 1e-5;
 * the GPT and Transformer blocks use 1e-5.
 */
public final class LayerNormalization extends Layer {
    public record Config(String name, double epsilon) implements LayerConfig {
        public Config {
            if (!(epsilon > 0)) throw new IllegalArgumentException("LayerNormalization epsilon must be > 0, got " + epsilon);
        }

        @Override
        public Layer create() {
            return new LayerNormalization(this);
        }
    }

    private final double epsilon;

    public LayerNormalization() {
        this(new Config(null, 1e-3));
    }

    public LayerNormalization(double epsilon) {
        this(new Config(null, epsilon));
    }

    public LayerNormalization(Config config) {
        super(config.name());
        this.epsilon = config.epsilon();
    }

    @Override
    public String typeName() {
        return "LayerNormalization";
    }

    @Override
    public Config config() {
        return new Config(name(), epsilon);
    }

    @Override
    protected void validateInput(int[] inputShape) {
        if (inputShape.length == 0) throw new IllegalArgumentException("layer '" + name() + "' (LayerNormalization) needs a feature axis, got (batch,)");
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        int c = inputShape[inputShape.length - 1];
        addParameter("gamma", Tensor.ones(c));
        addParameter("beta", Tensor.zeros(c));
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        return inputShape.clone();
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        return normalize(x);
    }

    /** The normalisation on (..., C) for any leading shape (used by the blocks and by generation); one fused op. */
    public Tensor normalize(Tensor x) {
        return LayerNorm.apply(x, parameter("gamma"), parameter("beta"), epsilon);
    }
}
