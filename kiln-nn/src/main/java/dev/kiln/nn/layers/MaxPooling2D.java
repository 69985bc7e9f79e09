package dev.kiln.nn.layers;

import com.fasterxml.jackson.annotation.JsonFormat;
import dev.kiln.core.Conv;
import dev.kiln.core.Tensor;

/**
 * Max pooling (Keras {@code MaxPooling2D}): the largest value of each (ph, pw) window per channel; the gradient goes to the first maximum of each window, as in PyTorch.
 * Channels-last: (batch, height, width, channels) → (batch, outH, outW, channels).
 */
public final class MaxPooling2D extends PoolingWindow<MaxPooling2D.Config> {
    /**
     * @param poolSize (ph, pw) or one number; default 2
     * @param strides  (sh, sw) or one number; default the pool size
     * @param padding  valid (default) or same
     */
    public record Config(String name,
                         @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) int[] poolSize,
                         @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) int[] strides,
                         Padding padding) implements LayerConfig, PoolingWindow.Settings {
        public Config {
            poolSize = Conv2D.pair("MaxPooling2D pool_size", poolSize, 2);
            strides = strides == null || strides.length == 0 ? poolSize.clone() : Conv2D.pair("MaxPooling2D strides", strides, null);
            if (padding == null) padding = Padding.VALID;
        }

        @Override
        public Layer create() {
            return new MaxPooling2D(this);
        }
    }

    public MaxPooling2D(Config config) {
        super(config);
    }

    /** Square windows of {@code poolSize} with the same stride and valid padding. */
    public MaxPooling2D(int poolSize) {
        this(new Config(null, new int[] {poolSize}, null, null));
    }

    @Override
    public String typeName() {
        return "MaxPooling2D";
    }

    @Override
    public Config config() {
        return new Config(name(), config.poolSize(), config.strides(), config.padding());
    }

    /** Window height and width (the config's own array, not {@link #config()}'s copy: no object per call). */
    int poolH() {
        return config.poolSize()[0];
    }

    int poolW() {
        return config.poolSize()[1];
    }

    /** Valid padding with strides equal to the pool size: the windows tile the input, as {@link Conv2D#callWithMaxPool} needs. */
    boolean tilesWithoutOverlap() {
        return config.padding() == Padding.VALID && java.util.Arrays.equals(config.poolSize(), config.strides());
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        int[] p = config.poolSize(), s = config.strides();
        return Conv.maxPool2d(x, p[0], p[1], s[0], s[1], config.padding().core());
    }
}
