package dev.kiln.nn.layers;

import dev.kiln.core.BatchNorm;
import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;

/**
 * Batch normalisation over the last (channel) axis (Keras {@code BatchNormalization}; Ioffe &amp; Szegedy 2015).
 *
 * <p>Training: each channel is normalised with the batch's mean and (biased) variance over every other axis,
 * {@code y = γ·(x − μ)/√(σ² + ε) + β}, one fused op ({@link BatchNorm}) with its exact gradient; the moving
 * statistics then move towards the batch's: {@code moving = momentum·moving + (1 − momentum)·batch}, as Keras
 * does. Inference: the moving statistics give one scale per channel, {@code s = γ/√(var + ε)}, and
 * {@code y = (x − mean)·s + β} is one pass over x ({@link BatchNorm#inference}; composed from primitives when a
 * gradient is wanted, e.g. a saliency map through a frozen layer).
 *
 * <p>The moving statistics are non-trainable buffers ({@code moving_mean}, {@code moving_variance}), saved with
 * the model and counted as "Non-trainable params" in the summary.
 */
public final class BatchNormalization extends Layer {
    /**
     * @param momentum of the moving statistics, in [0, 1); Keras's default 0.99 (PyTorch's momentum = 1 − this)
     * @param epsilon  added to the variance, > 0; Keras's default 1e-3
     */
    public record Config(String name, Double momentum, Double epsilon, Boolean center, Boolean scale) implements LayerConfig {
        public Config {
            if (momentum == null) momentum = 0.99;
            if (epsilon == null) epsilon = 1e-3;
            if (center == null) center = true;
            if (scale == null) scale = true;
            if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("BatchNormalization momentum must be in [0, 1), got " + momentum);
            if (!(epsilon > 0)) throw new IllegalArgumentException("BatchNormalization epsilon must be > 0, got " + epsilon);
        }

        public Config withMomentum(double m) { return new Config(name, m, epsilon, center, scale); }

        public Config withEpsilon(double e) { return new Config(name, momentum, e, center, scale); }

        @Override
        public Layer create() {
            return new BatchNormalization(this);
        }
    }

    private final Config config;
    private float[] batchMean, batchVar;   // the last training batch's statistics, reused per call

    public BatchNormalization() {
        this(new Config(null, null, null, null, null));
    }

    public BatchNormalization(Config config) {
        super(config.name());
        this.config = config;
    }

    @Override
    public String typeName() {
        return "BatchNormalization";
    }

    @Override
    public Config config() {
        return new Config(name(), config.momentum(), config.epsilon(), config.center(), config.scale());
    }

    @Override
    protected void validateInput(int[] inputShape) {
        if (inputShape.length == 0) {
            throw new IllegalArgumentException("layer '" + name() + "' (BatchNormalization) needs a channel axis, got (batch,); add a feature axis");
        }
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        int c = inputShape[inputShape.length - 1];
        if (config.scale()) addParameter("gamma", Tensor.ones(c));
        if (config.center()) addParameter("beta", Tensor.zeros(c));
        addBuffer("moving_mean", Tensor.zeros(c));
        addBuffer("moving_variance", Tensor.ones(c));
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        return inputShape.clone();
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        return forward(x, ctx, false);
    }

    /**
     * This layer and the ReLU {@code Activation} layer after it as one op ({@link BatchNorm} with its ReLU), for
     * {@link dev.kiln.nn.Sequential} and {@link dev.kiln.nn.Functional}: the normalised value is never stored, and the
     * backward makes no passes of the ReLU's own. The same bits as the two layers called in turn. Builds both layers as
     * their own calls would; returns null when {@code act} is not a ReLU, and the caller runs the two in turn.
     */
    public Tensor callWithRelu(Tensor x, ActivationLayer act, CallContext ctx) {
        if (act.activation() != Activation.RELU) return null;
        buildOrCheck(x, ctx);
        act.buildOrCheck(x, ctx);   // its input is this layer's output, of x's shape
        return forward(x, ctx, true);
    }

    private Tensor forward(Tensor x, CallContext ctx, boolean relu) {
        int c = x.shape(-1);
        float eps = (float) (double) config.epsilon();
        if (!ctx.training()) {
            return BatchNorm.inference(x, config.scale() ? parameter("gamma") : null, config.center() ? parameter("beta") : null,
                    buffer("moving_mean"), buffer("moving_variance"), eps, relu);
        }
        if (batchMean == null || batchMean.length != c) {
            batchMean = new float[c];
            batchVar = new float[c];
        }
        // One fused op (mean, biased variance as Keras normalises with, then the affine map), its gradient exact.
        Tensor y = BatchNorm.train(x, config.scale() ? parameter("gamma") : null, config.center() ? parameter("beta") : null, eps,
                batchMean, batchVar, relu);
        updateMovingStatistics(batchMean, batchVar, c);
        return y;
    }

    /** moving = momentum·moving + (1 − momentum)·batch, in place and outside the graph. */
    private void updateMovingStatistics(float[] bm, float[] bv, int c) {
        float m = (float) (double) config.momentum();
        float[] mm = buffer("moving_mean").rawFloats(), mv = buffer("moving_variance").rawFloats();
        for (int i = 0; i < c; i++) {
            mm[i] = m * mm[i] + (1 - m) * bm[i];
            mv[i] = m * mv[i] + (1 - m) * bv[i];
        }
    }
}
