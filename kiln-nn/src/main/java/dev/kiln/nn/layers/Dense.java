package dev.kiln.nn.layers;

import dev.kiln.core.Linear;
import dev.kiln.core.Rng;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;

/**
 * Fully connected layer: {@code y = activation(x · kernel + bias)} with kernel (in, units), as in Keras.
 * Inputs of rank > 2 are multiplied along their last axis.
 */
public final class Dense extends Layer {
    /**
     * @param units   output features, at least 1
     * @param l2      L2 penalty factor on the kernel (0 = none), added to the loss as {@code l2 · Σ kernel²}
     */
    public record Config(String name, int units, Activation activation, boolean useBias,
                         Initializer kernelInitializer, Initializer biasInitializer, double l2) implements LayerConfig {
        public Config {
            if (units < 1) throw new IllegalArgumentException("Dense units must be >= 1, got " + units);
            if (activation == null) activation = Activation.LINEAR;
            if (kernelInitializer == null) kernelInitializer = Initializer.GLOROT_UNIFORM;
            if (biasInitializer == null) biasInitializer = Initializer.ZEROS;
            if (!(l2 >= 0)) throw new IllegalArgumentException("Dense l2 must be >= 0, got " + l2);
        }

        public Config(int units, Activation activation) {
            this(null, units, activation, true, null, null, 0);
        }

        public Config withName(String n) { return new Config(n, units, activation, useBias, kernelInitializer, biasInitializer, l2); }

        public Config withUseBias(boolean b) { return new Config(name, units, activation, b, kernelInitializer, biasInitializer, l2); }

        public Config withL2(double v) { return new Config(name, units, activation, useBias, kernelInitializer, biasInitializer, v); }

        public Config withKernelInitializer(Initializer i) { return new Config(name, units, activation, useBias, i, biasInitializer, l2); }

        public Config withBiasInitializer(Initializer i) { return new Config(name, units, activation, useBias, kernelInitializer, i, l2); }

        @Override
        public Layer create() {
            return new Dense(this);
        }
    }

    private final Config config;

    public Dense(Config config) {
        super(config.name());
        this.config = config;
    }

    /** {@code Dense(units)} with no activation (logits). */
    public Dense(int units) {
        this(new Config(units, Activation.LINEAR));
    }

    public Dense(int units, Activation activation) {
        this(new Config(units, activation));
    }

    @Override
    public String typeName() {
        return "Dense";
    }

    @Override
    public Config config() {
        return config.withName(name());
    }

    @Override
    protected void validateInput(int[] inputShape) {
        if (inputShape.length == 0) {
            throw new IllegalArgumentException("layer '" + name() + "' (Dense) needs inputs of shape (batch, features), got (batch,); add a feature axis");
        }
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        int in = inputShape[inputShape.length - 1];
        addParameter("kernel", config.kernelInitializer().create(rng, in, config.units()));
        if (config.useBias()) addParameter("bias", config.biasInitializer().createBias(rng, in, config.units()));
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        int[] out = inputShape.clone();
        out[out.length - 1] = config.units();
        return out;
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        Activation act = config.activation();
        if (x.rank() == 2) {
            // One fused op: GEMM with the bias (and ReLU) in its epilogue; its backward yields dX, dW, db directly.
            Tensor bias = config.useBias() ? parameter("bias") : null;
            if (act == Activation.RELU) return Linear.affineRelu(x, parameter("kernel"), bias);
            return act.apply(Linear.affine(x, parameter("kernel"), bias));
        }
        Tensor y = x.matmul(parameter("kernel"));          // (B, in) · (in, units) → (B, units)
        if (config.useBias()) y = y.add(parameter("bias"));
        return config.activation().apply(y);
    }

    @Override
    public Tensor regularization() {
        return config.l2() > 0 ? parameter("kernel").square().sum().mul((float) config.l2()) : null;
    }

    @Override
    public String toString() {
        return "Dense(" + config.units() + ", " + config.activation().keras() + ") in " + (inputShape() == null ? "?" : Shape.str(inputShape()));
    }
}
