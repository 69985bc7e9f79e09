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
        int[] s = x.shape();
        int[] folded = new int[s.length - 1];
        folded[0] = s[0] * s[1];                                         // (B·T, ...)
        System.arraycopy(s, 2, folded, 1, s.length - 2);
        Tensor y = inner.call(x.reshape(folded), ctx);
        int[] out = new int[y.rank() + 1];
        out[0] = s[0];
        out[1] = s[1];
        System.arraycopy(y.shape(), 1, out, 2, y.rank() - 1);
        return y.reshape(out);                                           // (B, T, ...)
    }
}
