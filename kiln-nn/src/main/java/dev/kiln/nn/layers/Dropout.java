package dev.kiln.nn.layers;

import dev.kiln.core.Tensor;

/**
 * Inverted dropout (Srivastava et al. 2014): while training, zeroes each element with probability
 * {@code rate} and scales the rest by 1/(1-rate); the identity at inference.
 */
public final class Dropout extends Layer {
    public record Config(String name, double rate) implements LayerConfig {
        public Config {
            if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("Dropout rate must be in [0, 1), got " + rate);
        }

        @Override
        public Layer create() {
            return new Dropout(this);
        }
    }

    private final double rate;

    public Dropout(double rate) {
        this(new Config(null, rate));
    }

    public Dropout(Config config) {
        super(config.name());
        this.rate = config.rate();
    }

    @Override
    public String typeName() {
        return "Dropout";
    }

    @Override
    public Config config() {
        return new Config(name(), rate);
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        return inputShape.clone();
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        if (!ctx.training() || rate == 0) return x;
        return x.dropout(rate, ctx.rng());
    }
}
