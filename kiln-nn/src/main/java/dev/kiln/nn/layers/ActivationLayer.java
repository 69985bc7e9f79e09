package dev.kiln.nn.layers;

import dev.kiln.core.Tensor;

/** Applies an activation function as its own layer (Keras {@code Activation}). */
public final class ActivationLayer extends Layer {
    public record Config(String name, Activation activation) implements LayerConfig {
        public Config {
            if (activation == null) throw new IllegalArgumentException("Activation layer needs an activation");
        }

        @Override
        public Layer create() {
            return new ActivationLayer(this);
        }
    }

    private final Activation activation;

    public ActivationLayer(Activation activation) {
        this(new Config(null, activation));
    }

    public ActivationLayer(Config config) {
        super(config.name());
        this.activation = config.activation();
    }

    /** The function this layer applies. */
    public Activation activation() {
        return activation;
    }

    @Override
    public String typeName() {
        return "Activation";
    }

    @Override
    public Config config() {
        return new Config(name(), activation);
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        return inputShape.clone();
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        return activation.apply(x);
    }
}
