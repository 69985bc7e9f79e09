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

    private volatile int[] flat;

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
        int batch = x.shape(0), features = 1;
        for (int i = 1; i < x.rank(); i++) features *= x.shape(i);
        // The (batch, features) array of the last call, reused while they stay the same: no shape array per training
        // step. Volatile, as a model may predict on several threads; the arrays are never changed once published.
        int[] shape = flat;
        if (shape == null || shape[0] != batch || shape[1] != features) flat = shape = new int[] {batch, features};
        return x.reshape(shape);
    }
}
