package dev.kiln.nn.layers;

import dev.kiln.core.Tensor;

/**
 * The fixed sinusoidal positions of Vaswani et al. (2017): {@code PE(t, 2i) = sin(t / 10000^(2i/D))},
 * {@code PE(t, 2i+1) = cos(t / 10000^(2i/D))}, added to (B, T, D). No parameters, and any length works.
 */
public final class SinusoidalPositionalEncoding extends Layer {
    public record Config(String name) implements LayerConfig {
        @Override
        public Layer create() {
            return new SinusoidalPositionalEncoding(this);
        }
    }

    public SinusoidalPositionalEncoding() {
        this(new Config(null));
    }

    public SinusoidalPositionalEncoding(Config config) {
        super(config.name());
    }

    @Override
    public String typeName() {
        return "SinusoidalPositionalEncoding";
    }

    @Override
    public Config config() {
        return new Config(name());
    }

    @Override
    protected void validateInput(int[] inputShape) {
        if (inputShape.length != 2) {
            throw new IllegalArgumentException("layer '" + name() + "' (SinusoidalPositionalEncoding) expects input of shape (batch, timesteps, features) but received "
                    + Layer.batchShape(inputShape));
        }
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        return inputShape.clone();
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        return addPositions(x, 0);
    }

    /** x (B, T, D) plus the encodings of positions {@code offset} .. {@code offset + T − 1}. */
    public Tensor addPositions(Tensor x, int offset) {
        return x.add(table(offset, x.shape(1), x.shape(2)).to(x.dtype()));
    }

    /** The encodings (T, D) of positions {@code offset} .. {@code offset + T − 1}. */
    public static Tensor table(int offset, int t, int d) {
        float[] pe = new float[t * d];
        for (int p = 0; p < t; p++) {
            for (int i = 0; i < d; i += 2) {
                double angle = (offset + p) / Math.pow(10000, (double) i / d);
                pe[p * d + i] = (float) Math.sin(angle);
                if (i + 1 < d) pe[p * d + i + 1] = (float) Math.cos(angle);
            }
        }
        return Tensor.of(pe, t, d);
    }
}
