package dev.kiln.nn.layers;

import com.fasterxml.jackson.annotation.JsonFormat;
import dev.kiln.core.Conv;
import dev.kiln.core.Tensor;

/**
 * Average pooling (Keras {@code AveragePooling2D}): the mean of each (ph, pw) window per channel; with same padding the padded positions are not counted, as in Keras.
 * Channels-last: (batch, height, width, channels) → (batch, outH, outW, channels).
 */
public final class AveragePooling2D extends PoolingWindow<AveragePooling2D.Config> {
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
            poolSize = Conv2D.pair("AveragePooling2D pool_size", poolSize, 2);
            strides = strides == null || strides.length == 0 ? poolSize.clone() : Conv2D.pair("AveragePooling2D strides", strides, null);
            if (padding == null) padding = Padding.VALID;
        }

        @Override
        public Layer create() {
            return new AveragePooling2D(this);
        }
    }

    public AveragePooling2D(Config config) {
        super(config);
    }

    /** Square windows of {@code poolSize} with the same stride and valid padding. */
    public AveragePooling2D(int poolSize) {
        this(new Config(null, new int[] {poolSize}, null, null));
    }

    @Override
    public String typeName() {
        return "AveragePooling2D";
    }

    @Override
    public Config config() {
        return new Config(name(), config.poolSize(), config.strides(), config.padding());
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        int[] p = config.poolSize(), s = config.strides();
        return Conv.avgPool2d(x, p[0], p[1], s[0], s[1], config.padding().core());
    }
}
