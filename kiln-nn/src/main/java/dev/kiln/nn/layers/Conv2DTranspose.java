package dev.kiln.nn.layers;

import com.fasterxml.jackson.annotation.JsonFormat;
import dev.kiln.core.Conv;
import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;

/**
 * Transposed 2-D convolution, the upsampling layer of decoders and segmentation nets (Keras {@code Conv2DTranspose};
 * Dumoulin &amp; Visin 2016): input (batch, height, width, channels), kernel (kh, kw, filters, channels) in Keras
 * layout, output (batch, (height − 1)·stride + kh, ..., filters) with valid padding or (batch, height·stride, ...)
 * with same.
 */
public final class Conv2DTranspose extends Layer {
    public record Config(String name, int filters,
                         @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) int[] kernelSize,
                         @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) int[] strides,
                         Padding padding, Activation activation, Boolean useBias,
                         Initializer kernelInitializer, Initializer biasInitializer) implements LayerConfig {
        public Config {
            if (filters < 1) throw new IllegalArgumentException("Conv2DTranspose filters must be >= 1, got " + filters);
            kernelSize = Conv2D.pair("Conv2DTranspose kernel_size", kernelSize, null);
            strides = Conv2D.pair("Conv2DTranspose strides", strides, 1);
            if (padding == null) padding = Padding.VALID;
            if (activation == null) activation = Activation.LINEAR;
            if (useBias == null) useBias = true;
            if (kernelInitializer == null) kernelInitializer = Initializer.GLOROT_UNIFORM;
            if (biasInitializer == null) biasInitializer = Initializer.ZEROS;
        }

        public Config(int filters, int kernelSize, int stride, Padding padding, Activation activation) {
            this(null, filters, new int[] {kernelSize}, new int[] {stride}, padding, activation, true, null, null);
        }

        @Override
        public Layer create() {
            return new Conv2DTranspose(this);
        }
    }

    private final Config config;

    public Conv2DTranspose(Config config) {
        super(config.name());
        this.config = config;
    }

    @Override
    public String typeName() {
        return "Conv2DTranspose";
    }

    @Override
    public Config config() {
        Config c = config;
        return new Config(name(), c.filters(), c.kernelSize(), c.strides(), c.padding(), c.activation(), c.useBias(), c.kernelInitializer(), c.biasInitializer());
    }

    @Override
    protected void validateInput(int[] inputShape) {
        Conv2D.requireImage(this, inputShape);
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        int[] k = config.kernelSize();
        addParameter("kernel", config.kernelInitializer().create(rng, k[0], k[1], config.filters(), inputShape[2]));
        if (config.useBias()) addParameter("bias", config.biasInitializer().create(rng, config.filters()));
    }

    @Override
    public int[] outputShape(int[] s) {
        int[] k = config.kernelSize(), st = config.strides();
        Conv.Padding p = config.padding().core();
        return new int[] {Conv.transposeOutputLength(s[0], k[0], st[0], p), Conv.transposeOutputLength(s[1], k[1], st[1], p), config.filters()};
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        int[] st = config.strides();
        Tensor y = Conv.conv2dTranspose(x, parameter("kernel"), config.useBias() ? parameter("bias") : null, st[0], st[1], config.padding().core());
        return config.activation().apply(y);    // (B, OH, OW, filters)
    }
}
