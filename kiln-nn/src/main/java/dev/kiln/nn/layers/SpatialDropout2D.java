package dev.kiln.nn.layers;

import dev.kiln.core.Tensor;

/**
 * Drops whole channels (Keras {@code SpatialDropout2D}; Tompson et al. 2015): while training, each
 * (sample, channel) feature map is zeroed with probability {@code rate} and the rest scaled by 1/(1-rate),
 * because neighbouring pixels are correlated and element-wise dropout barely regularises convolutions.
 */
public final class SpatialDropout2D extends Layer {
    public record Config(String name, double rate) implements LayerConfig {
        public Config {
            if (!(rate >= 0 && rate < 1)) throw new IllegalArgumentException("SpatialDropout2D rate must be in [0, 1), got " + rate);
        }

        @Override
        public Layer create() {
            return new SpatialDropout2D(this);
        }
    }

    private final double rate;

    public SpatialDropout2D(double rate) {
        this(new Config(null, rate));
    }

    public SpatialDropout2D(Config config) {
        super(config.name());
        this.rate = config.rate();
    }

    @Override
    public String typeName() {
        return "SpatialDropout2D";
    }

    @Override
    public Config config() {
        return new Config(name(), rate);
    }

    @Override
    protected void validateInput(int[] inputShape) {
        Conv2D.requireImage(this, inputShape);
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        return inputShape.clone();
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        if (!ctx.training() || rate == 0) return x;
        int[] noise = NOISE_SHAPE.get();   // one draw per (image, channel); dropout reads the shape, keeps none of it
        noise[0] = x.shape(0);
        noise[3] = x.shape(3);
        return x.dropout(rate, ctx.rng(), noise);
    }

    private static final ThreadLocal<int[]> NOISE_SHAPE = ThreadLocal.withInitial(() -> new int[] {0, 1, 1, 0});
}
