package dev.kiln.nn.layers;

import dev.kiln.core.Tensor;

/** Maximum over height and width per channel (Keras {@code GlobalMaxPooling2D}): (B, H, W, C) → (B, C). */
public final class GlobalMaxPooling2D extends Layer {
    public record Config(String name) implements LayerConfig {
        @Override
        public Layer create() {
            return new GlobalMaxPooling2D(this);
        }
    }

    public GlobalMaxPooling2D() {
        this(new Config(null));
    }

    public GlobalMaxPooling2D(Config config) {
        super(config.name());
    }

    @Override
    public String typeName() {
        return "GlobalMaxPooling2D";
    }

    @Override
    public Config config() {
        return new Config(name());
    }

    @Override
    protected void validateInput(int[] inputShape) {
        Conv2D.requireImage(this, inputShape);
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        return new int[] {inputShape[2]};
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        return x.max(1, false).max(1, false);   // (B, H, W, C) → (B, W, C) → (B, C)
    }
}
