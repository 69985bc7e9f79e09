package dev.kiln.nn.layers;

import com.fasterxml.jackson.annotation.JsonFormat;
import dev.kiln.core.Conv;
import dev.kiln.core.Rng;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;

/**
 * 2-D convolution over channels-last images (Keras {@code Conv2D}; LeCun et al. 1998): input
 * (batch, height, width, channels), kernel (kh, kw, channels / groups, filters), output
 * (batch, outH, outW, filters). {@code groups == channels} makes it depthwise. With a ReLU activation the
 * bias and ReLU run fused into the convolution's output pass.
 */
public final class Conv2D extends Layer {
    /**
     * @param kernelSize   (kh, kw), or one number for a square kernel
     * @param strides      (sh, sw) or one number; default 1
     * @param padding      valid (default) or same
     * @param dilationRate (dh, dw) or one number; default 1
     * @param groups       1 (default), or a divisor of the input channels and filters (channels = depthwise)
     */
    public record Config(String name, int filters,
                         @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) int[] kernelSize,
                         @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) int[] strides,
                         Padding padding,
                         @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) int[] dilationRate,
                         int groups, Activation activation, Boolean useBias,
                         Initializer kernelInitializer, Initializer biasInitializer) implements LayerConfig {
        public Config {
            if (filters < 1) throw new IllegalArgumentException("Conv2D filters must be >= 1, got " + filters);
            kernelSize = pair("Conv2D kernel_size", kernelSize, null);
            strides = pair("Conv2D strides", strides, 1);
            dilationRate = pair("Conv2D dilation_rate", dilationRate, 1);
            if (padding == null) padding = Padding.VALID;
            if (groups == 0) groups = 1;
            if (groups < 1 || filters % groups != 0) {
                throw new IllegalArgumentException("Conv2D groups must be >= 1 and divide filters (" + filters + "), got " + groups);
            }
            if ((strides[0] > 1 || strides[1] > 1) && (dilationRate[0] > 1 || dilationRate[1] > 1)) {
                throw new IllegalArgumentException("Conv2D: strides > 1 together with dilation_rate > 1 is not supported (as in Keras); use one of them");
            }
            if (activation == null) activation = Activation.LINEAR;
            if (useBias == null) useBias = true;
            if (kernelInitializer == null) kernelInitializer = Initializer.GLOROT_UNIFORM;
            if (biasInitializer == null) biasInitializer = Initializer.ZEROS;
        }

        public Config(int filters, int kernelSize, Activation activation) {
            this(null, filters, new int[] {kernelSize}, null, null, null, 1, activation, true, null, null);
        }

        public Config withName(String n) { return new Config(n, filters, kernelSize, strides, padding, dilationRate, groups, activation, useBias, kernelInitializer, biasInitializer); }

        public Config withStrides(int h, int w) { return new Config(name, filters, kernelSize, new int[] {h, w}, padding, dilationRate, groups, activation, useBias, kernelInitializer, biasInitializer); }

        public Config withPadding(Padding p) { return new Config(name, filters, kernelSize, strides, p, dilationRate, groups, activation, useBias, kernelInitializer, biasInitializer); }

        public Config withDilation(int h, int w) { return new Config(name, filters, kernelSize, strides, padding, new int[] {h, w}, groups, activation, useBias, kernelInitializer, biasInitializer); }

        public Config withGroups(int g) { return new Config(name, filters, kernelSize, strides, padding, dilationRate, g, activation, useBias, kernelInitializer, biasInitializer); }

        public Config withUseBias(boolean b) { return new Config(name, filters, kernelSize, strides, padding, dilationRate, groups, activation, b, kernelInitializer, biasInitializer); }

        public Config withKernelInitializer(Initializer i) { return new Config(name, filters, kernelSize, strides, padding, dilationRate, groups, activation, useBias, i, biasInitializer); }

        Conv.Spec spec() {
            return new Conv.Spec(strides[0], strides[1], dilationRate[0], dilationRate[1], padding.core(), groups);
        }

        @Override
        public Layer create() {
            return new Conv2D(this);
        }
    }

    /** A Keras "int or tuple of 2 ints" as (h, w); {@code dflt} fills in when absent (null = required). */
    static int[] pair(String what, int[] v, Integer dflt) {
        if (v == null || v.length == 0) {
            if (dflt == null) throw new IllegalArgumentException(what + " is required, e.g. 3 or [3, 3]");
            return new int[] {dflt, dflt};
        }
        if (v.length > 2) throw new IllegalArgumentException(what + " takes one or two numbers (height, width), got " + v.length);
        int[] p = v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
        if (p[0] < 1 || p[1] < 1) throw new IllegalArgumentException(what + " must be >= 1, got " + java.util.Arrays.toString(v));
        return p;
    }

    private final Config config;
    private final Conv.Spec spec;   // the config's, made once: a Spec per call would be garbage every training step
    private volatile int[] builtOutput;   // outputShape of the built input shape, for callWithMaxPool; never changed once set

    public Conv2D(Config config) {
        super(config.name());
        this.config = config;
        this.spec = config.spec();
    }

    /** {@code Conv2D(filters, kernelSize, activation)} with stride 1 and valid padding, as in the Keras tutorial. */
    public Conv2D(int filters, int kernelSize, Activation activation) {
        this(new Config(filters, kernelSize, activation));
    }

    @Override
    public String typeName() {
        return "Conv2D";
    }

    @Override
    public Config config() {
        return config.withName(name());
    }

    /** Checks a channels-last (height, width, channels) sample; shared with the pooling layers. */
    static void requireImage(Layer layer, int[] inputShape) {
        if (inputShape.length == 2) {
            throw new IllegalArgumentException("layer '" + layer.name() + "' (" + layer.typeName() + ") needs channels-last images of shape "
                    + "(batch, height, width, channels) but received " + batchShape(inputShape) + "; add a channel axis: put "
                    + "Reshape([" + inputShape[0] + ", " + inputShape[1] + ", 1]) first, or use input_shape [" + inputShape[0] + ", " + inputShape[1] + ", 1]");
        }
        if (inputShape.length != 3) {
            throw new IllegalArgumentException("layer '" + layer.name() + "' (" + layer.typeName() + ") needs channels-last images of shape "
                    + "(batch, height, width, channels) but received " + batchShape(inputShape) + "; reshape the data to rank 4");
        }
    }

    @Override
    protected void validateInput(int[] inputShape) {
        requireImage(this, inputShape);
        int c = inputShape[2];
        if (c % config.groups() != 0) {
            throw new IllegalArgumentException("layer '" + name() + "' (Conv2D) has groups " + config.groups() + " but its input has " + c
                    + " channels; groups must divide the channel count");
        }
        try {
            outputShape(inputShape);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layer '" + name() + "' (Conv2D) on input " + batchShape(inputShape) + ": " + e.getMessage(), e);
        }
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        int[] k = config.kernelSize();
        addParameter("kernel", config.kernelInitializer().create(rng, k[0], k[1], inputShape[2] / config.groups(), config.filters()));
        if (config.useBias()) addParameter("bias", config.biasInitializer().create(rng, config.filters()));
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        int[] k = config.kernelSize();
        var g = Conv.geometry(new int[] {1, inputShape[0], inputShape[1], inputShape[2]}, k[0], k[1], config.filters(), spec);
        return new int[] {g.outH(), g.outW(), config.filters()};
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        Tensor bias = config.useBias() ? parameter("bias") : null;
        if (config.activation() == Activation.RELU) return Conv.conv2dRelu(x, parameter("kernel"), bias, spec);
        return config.activation().apply(Conv.conv2d(x, parameter("kernel"), bias, spec));   // (B, OH, OW, F)
    }

    /**
     * This layer and the {@code pool} after it as one op ({@link Conv#conv2dReluMaxPool}), for {@link dev.kiln.nn.Sequential}:
     * when the activation is ReLU and the pool's windows tile the output (strides = pool size, valid padding). Builds
     * both layers as their own calls would; returns null when the pair does not fuse, and the caller runs them in turn.
     */
    public Tensor callWithMaxPool(Tensor x, MaxPooling2D pool, CallContext ctx) {
        if (config.activation() != Activation.RELU || !pool.tilesWithoutOverlap() || x.rank() != 4) return null;
        buildOrCheck(x, ctx);   // as call does: no shape copies once built for this sample shape
        // The built input shape never changes, so neither does its output shape: computed once, not per step.
        int[] out = builtOutput;
        if (out == null) builtOutput = out = outputShape(inputShape());
        if (!pool.builtFor(out)) pool.build(out, ctx.rng());
        Tensor bias = config.useBias() ? parameter("bias") : null;
        return Conv.conv2dReluMaxPool(x, parameter("kernel"), bias, spec, pool.poolH(), pool.poolW());
    }

    @Override
    public String toString() {
        return "Conv2D(" + config.filters() + ", " + Shape.str(config.kernelSize()) + ", " + config.activation().keras() + ")";
    }
}
