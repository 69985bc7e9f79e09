package dev.kiln.nn.layers;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.kiln.core.Attention;
import dev.kiln.core.Linear;
import dev.kiln.core.Rng;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;

/**
 * Multi-head scaled dot-product self-attention (Vaswani et al. 2017): per head
 * {@code softmax(Q·Kᵀ / √d_k + mask) · V}, heads concatenated and projected back to the model width. The
 * projections are fused affine ops and the attention itself is the fused {@link Attention} op, which reads the
 * heads in place in the (B, T, H·d_k) projections; only training with dropout on the weights composes it from
 * matmul and softmax. Parameters {@code query.kernel} (D, H·d_k), {@code query.bias}, likewise {@code key.*} and
 * {@code value.*}, and {@code output.kernel} (H·d_k, D), {@code output.bias}; PyTorch's packed
 * {@code in_proj_weight} splits into the three kernels, transposed.
 *
 * <p>Masks: {@code causal} stops position i from seeing j &gt; i (GPT); a (B, T) padding mask from
 * Embedding(maskZero) stops every position from attending to padding. {@link #attend} also returns the
 * attention weights (B, H, T, T) for visualisation, and with a {@link KvCache} processes only new positions
 * while reusing the keys and values of the prefix (generation).
 */
public final class MultiHeadAttention extends Layer {
    /** A masked score: exp(−1e9 − max) is exactly 0 in float and double, and no NaN arises when a row is all masked. */
    private static final float MASKED = -1e9f;

    /**
     * {@code kernelInitializer}/{@code biasInitializer} null mean Keras's glorot_uniform and zeros; left out of the
     * model file then, so files written before these options existed read the same.
     */
    public record Config(String name, int numHeads, int keyDim, boolean causal, double dropout,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Initializer kernelInitializer,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Initializer biasInitializer) implements LayerConfig {
        public Config {
            if (numHeads < 1 || keyDim < 1) throw new IllegalArgumentException("MultiHeadAttention needs numHeads >= 1 and keyDim >= 1, got " + numHeads + " and " + keyDim);
            if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("MultiHeadAttention dropout must be in [0, 1), got " + dropout);
        }

        public Config(String name, int numHeads, int keyDim, boolean causal, double dropout) {
            this(name, numHeads, keyDim, causal, dropout, null, null);
        }

        public Config(int numHeads, int keyDim) {
            this(null, numHeads, keyDim, false, 0);
        }

        public Config withCausal(boolean c) { return new Config(name, numHeads, keyDim, c, dropout, kernelInitializer, biasInitializer); }

        public Config withName(String n) { return new Config(n, numHeads, keyDim, causal, dropout, kernelInitializer, biasInitializer); }

        public Config withInitializers(Initializer kernel, Initializer bias) { return new Config(name, numHeads, keyDim, causal, dropout, kernel, bias); }

        @Override
        public Layer create() {
            return new MultiHeadAttention(this);
        }
    }

    /** The attended output (B, T, D) and the attention weights (B, H, T, T_keys). */
    public record Output(Tensor output, Tensor weights) {}

    /**
     * Keys and values (B, T_past, H·d_k) of the positions processed so far, for incremental decoding.
     * Not thread-safe: one cache per generation.
     */
    public static final class KvCache {
        Tensor keys;
        Tensor values;

        public int length() {
            return keys == null ? 0 : keys.shape(1);
        }
    }

    private final Config config;

    public MultiHeadAttention(Config config) {
        super(config.name());
        this.config = config;
    }

    public MultiHeadAttention(int numHeads, int keyDim) {
        this(new Config(numHeads, keyDim));
    }

    @Override
    public String typeName() {
        return "MultiHeadAttention";
    }

    @Override
    public Config config() {
        return config.withName(name());
    }

    @Override
    protected void validateInput(int[] inputShape) {
        if (inputShape.length != 2) {
            throw new IllegalArgumentException("layer '" + name() + "' (MultiHeadAttention) expects input of shape (batch, timesteps, features) but received "
                    + Layer.batchShape(inputShape) + "; put an Embedding (and a positional embedding) before it");
        }
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        int d = inputShape[1], hd = config.numHeads() * config.keyDim();
        Initializer kernel = config.kernelInitializer() == null ? Initializer.GLOROT_UNIFORM : config.kernelInitializer();
        Initializer bias = config.biasInitializer() == null ? Initializer.ZEROS : config.biasInitializer();
        for (String p : new String[] {"query", "key", "value"}) {
            addParameter(p + ".kernel", kernel.create(rng, d, hd));
            addParameter(p + ".bias", bias.createBias(rng, d, hd));
        }
        addParameter("output.kernel", kernel.create(rng, hd, d));
        addParameter("output.bias", bias.createBias(rng, hd, d));
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        return inputShape.clone();
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        return attend(x, null, ctx, null).output();
    }

    @Override
    protected Tensor forward(Tensor x, Tensor mask, CallContext ctx) {
        return attend(x, mask, ctx, null).output();
    }

    /**
     * Self-attention over {@code x} (B, T, D) with an optional (B, T_keys) padding mask (1 = attend). With a
     * cache, {@code x} holds only the new positions; their keys and values are appended to the cache.
     */
    public Output attend(Tensor x, Tensor mask, CallContext ctx, KvCache cache) {
        if (!isBuilt()) build(java.util.Arrays.copyOfRange(x.shape(), 1, x.rank()), ctx.rng());
        int b = x.shape(0), t = x.shape(1), h = config.numHeads(), dk = config.keyDim();
        Tensor x2 = x.reshape(b * t, x.shape(2));                           // (B·T, D)
        boolean dropWeights = ctx.training() && config.dropout() > 0;
        int tk = t + (cache == null ? 0 : cache.length());                  // key positions: the cached ones, then x's
        if (mask != null && !mask.hasShape(b, tk)) {
            throw new IllegalArgumentException("layer '" + name() + "' (MultiHeadAttention) got a padding mask of shape " + Shape.str(mask.shape())
                    + " but needs (batch, key positions) = " + Shape.str(new int[] {b, tk}));
        }
        if (cache == null && !dropWeights) {
            Attention.Result r = Attention.applyPacked(packedQkv(x2, b, t), h, config.causal(), mask);
            return new Output(outputProjection(r.output(), b, t), r.weights());
        }
        Tensor q = project(x2, "query", b, t);                              // (B, T, H·dk): head i in columns [i·dk, (i+1)·dk)
        Tensor k = project(x2, "key", b, t);
        Tensor v = project(x2, "value", b, t);
        if (cache != null) {
            if (cache.keys != null) {
                k = Tensor.concat(1, cache.keys, k);                           // (B, past + T, H·dk)
                v = Tensor.concat(1, cache.values, v);
            }
            cache.keys = k;
            cache.values = v;
        }
        Tensor out;                                                          // (B, T, H·dk)
        Tensor weights;                                                      // (B, H, T, Tk)
        if (dropWeights) {
            // Dropout on the weights sits between the softmax and P·V, inside the fused op: compose it instead.
            Tensor[] composed = attendComposed(q, k, v, mask, b, t, tk, ctx.rng());
            out = composed[0];
            weights = composed[1];
        } else {
            Attention.Result r = Attention.apply(q, k, v, h, config.causal(), mask);
            out = r.output();
            weights = r.weights();
        }
        return new Output(outputProjection(out, b, t), weights);
    }

    /**
     * {@link #attend}'s output alone, as a block's forward needs it: without a cache or dropout on the weights it skips
     * the {@link Output} and the attention's result record, so a training step allocates none.
     */
    public Tensor attendOutput(Tensor x, Tensor mask, CallContext ctx, KvCache cache) {
        if (cache != null || (ctx.training() && config.dropout() > 0) || !isBuilt()) return attend(x, mask, ctx, cache).output();
        int b = x.shape(0), t = x.shape(1);
        if (mask != null && (mask.rank() != 2 || mask.shape(0) != b || mask.shape(1) != t)) return attend(x, mask, ctx, cache).output();   // its error
        Tensor qkv = packedQkv(x.reshape(b * t, x.shape(2)), b, t);
        return outputProjection(Attention.applyPackedOutput(qkv, config.numHeads(), config.causal(), mask), b, t);
    }

    /** Q, K and V side by side (B, T, 3·H·dk) from one GEMM; the fused attention reads the three blocks in place. */
    private Tensor packedQkv(Tensor x2, int b, int t) {
        Tensor[] parts = Scratch.tensors(Scratch.CONCAT_PARTS, 3);   // per thread, emptied after: no varargs array a step
        parts[0] = parameter("query.kernel");
        parts[1] = parameter("key.kernel");
        parts[2] = parameter("value.kernel");
        Tensor w = Tensor.concat(1, parts);
        parts[0] = parameter("query.bias");
        parts[1] = parameter("key.bias");
        parts[2] = parameter("value.bias");
        Tensor bias = Tensor.concat(0, parts);
        java.util.Arrays.fill(parts, null);
        return Linear.affine(x2, w, bias).reshape(b, t, 3 * config.numHeads() * config.keyDim());
    }

    /** The heads (B, T, H·dk) projected back to (B, T, D). */
    private Tensor outputProjection(Tensor heads, int b, int t) {
        Tensor y = Linear.affine(heads.reshape(b * t, heads.shape(2)), parameter("output.kernel"), parameter("output.bias"));   // (B·T, D)
        return y.reshape(b, t, y.shape(1));
    }

    /** x (B·T, D) · W + b as (B, T, H·dk), one fused op. */
    private Tensor project(Tensor x2, String which, int b, int t) {
        Tensor y = Linear.affine(x2, parameter(which + ".kernel"), parameter(which + ".bias"));
        return y.reshape(b, t, y.shape(1));
    }

    /** The attention composed from primitives, for training with dropout on the weights: {output (B, T, H·dk), weights}. */
    private Tensor[] attendComposed(Tensor q, Tensor k, Tensor v, Tensor mask, int b, int t, int tk, Rng rng) {
        int h = config.numHeads(), dk = config.keyDim(), past = tk - t;
        Tensor qh = heads(q, b, t), kh = heads(k, b, tk), vh = heads(v, b, tk);   // (B, H, T, dk)
        Tensor scores = qh.matmul(kh.transpose(-1, -2)).mul((float) (1 / Math.sqrt(dk)));   // (B, H, T, Tk)
        Tensor bias = maskBias(q, mask, b, t, tk, past);
        if (bias != null) scores = scores.add(bias);
        Tensor weights = scores.softmax(-1);
        Tensor out = dropout(weights, rng).matmul(vh).permute(0, 2, 1, 3).reshape(b, t, h * dk);
        return new Tensor[] {out, weights};
    }

    private Tensor heads(Tensor y, int b, int t) {
        return y.reshape(b, t, config.numHeads(), config.keyDim()).permute(0, 2, 1, 3);  // (B, H, T, dk), a view
    }

    /** Additive mask (B or 1, 1, T, Tk): 0 where attention is allowed, −1e9 where not; null when nothing is masked. */
    private Tensor maskBias(Tensor like, Tensor mask, int b, int t, int tk, int past) {
        if (!config.causal() && mask == null) return null;
        int rows = mask == null ? 1 : b;
        double[] m = mask == null ? null : mask.toDoubleArray();
        float[] bias = new float[rows * t * tk];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < tk; j++) {
                    boolean blocked = (config.causal() && j > past + i) || (m != null && m[r * tk + j] == 0);
                    if (blocked) bias[(r * t + i) * tk + j] = MASKED;
                }
            }
        }
        return Tensor.of(bias, rows, 1, t, tk).to(like.dtype());
    }

    private Tensor dropout(Tensor w, Rng rng) {
        float keep = (float) (1 - config.dropout());
        float[] mask = new float[w.size()];
        for (int i = 0; i < mask.length; i++) mask[i] = rng.uniform() < keep ? 1f / keep : 0f;
        return w.mul(Tensor.of(mask, w.shape()).to(w.dtype()));
    }

    @Override
    public String toString() {
        return "MultiHeadAttention(heads=" + config.numHeads() + ", keyDim=" + config.keyDim() + (config.causal() ? ", causal" : "") + ")";
    }
}
