package dev.kiln.nn.layers;

import dev.kiln.core.Tensor;

/** Mean over height and width per channel (Keras {@code GlobalAveragePooling2D}): (B, H, W, C) → (B, C). */
public final class GlobalAveragePooling2D extends Layer {
    public record Config(String name) implements LayerConfig {
        @Override
        public Layer create() {
            return new GlobalAveragePooling2D(this);
        }
    }

    public GlobalAveragePooling2D() {
        this(new Config(null));
    }

    public GlobalAveragePooling2D(Config config) {
        super(config.name());
    }

    @Override
    public String typeName() {
        return "GlobalAveragePooling2D";
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
        return x.mean(HEIGHT_AND_WIDTH, false);
    }

    /** The axes averaged over; a constant (read, never kept or written), so no array a call. */
    private static final int[] HEIGHT_AND_WIDTH = {1, 2};
}
