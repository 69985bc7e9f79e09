package dev.kiln.nn.layers;

import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;

/** Flattens every sample to one axis: (B, d1, d2, ...) → (B, d1·d2·...). A view; nothing is copied. */
public final class Flatten extends Layer {
    public record Config(String name) implements LayerConfig {
        @Override
        public Layer create() {
            return new Flatten(this);
        }
    }

    public Flatten() {
        this(new Config(null));
    }

    public Flatten(Config config) {
        super(config.name());
    }

    @Override
    public String typeName() {
        return "Flatten";
    }

    @Override
    public Config config() {
        return new Config(name());
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        return new int[] {Shape.size(inputShape)};
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        return x.reshape(x.shape(0), -1);
    }
}
