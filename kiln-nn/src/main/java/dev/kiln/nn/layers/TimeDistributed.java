package dev.kiln.nn.layers;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import java.util.Arrays;

/**
 * Applies one layer to every time step of (B, T, ...) independently, with shared weights (Keras
 * {@code TimeDistributed}): the batch and time axes are folded into one, the layer runs once, and the
 * axes are unfolded again. Parameters are {@code layer.<name>}.
 */
public final class TimeDistributed extends Layer {
    public record Config(String name, LayerConfig layer) implements LayerConfig {
        public Config {
            if (layer == null) throw new IllegalArgumentException("TimeDistributed needs a layer to wrap");
        }

        @Override
        public Layer create() {
            return new TimeDistributed(this);
        }
    }

    private final Config config;
    private final Children children = new Children(this);
    private final Layer inner;

    public TimeDistributed(Config config) {
        super(config.name());
        this.config = config;
        this.inner = children.add("layer", config.layer().create());
    }

    public TimeDistributed(Layer layer) {
        this(new Config(null, layer.config()));
    }

    @Override
    public String typeName() {
        return "TimeDistributed";
    }

    @Override
    public Config config() {
        return new Config(name(), inner.config());
    }

    @Override
    protected void validateInput(int[] inputShape) {
        if (inputShape.length < 2) {
            throw new IllegalArgumentException("layer '" + name() + "' (TimeDistributed) expects input of shape (batch, timesteps, ...) but received "
                    + Layer.batchShape(inputShape) + "; it needs a time axis after the batch axis");
        }
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        children.build("layer", Arrays.copyOfRange(inputShape, 1, inputShape.length), rng);
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        int[] step = inner.outputShape(Arrays.copyOfRange(inputShape, 1, inputShape.length));
        int[] out = new int[step.length + 1];
        out[0] = inputShape[0];
        System.arraycopy(step, 0, out, 1, step.length);
        return out;
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        children.sync();
        // The shapes in per-thread arrays (reshape copies what it keeps): no arrays a step. A nested TimeDistributed
        // reuses them only inside inner.call, after this call's folded shape has been read and before its own is made.
        int b = x.shape(0), t = x.shape(1);
        int[] folded = Scratch.ints(Scratch.FOLDED_SHAPE, x.rank() - 1);
        folded[0] = b * t;                                               // (B·T, ...)
        for (int d = 2; d < x.rank(); d++) folded[d - 1] = x.shape(d);
        Tensor y = inner.call(x.reshape(folded), ctx);
        int[] out = Scratch.ints(Scratch.UNFOLDED_SHAPE, y.rank() + 1);
        out[0] = b;
        out[1] = t;
        for (int d = 1; d < y.rank(); d++) out[d + 1] = y.shape(d);
        return y.reshape(out);                                           // (B, T, ...)
    }
}
