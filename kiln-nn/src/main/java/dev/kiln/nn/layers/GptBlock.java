package dev.kiln.nn.layers;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;

/**
 * A GPT-2 decoder block (Radford et al. 2019): pre-norm, causal self-attention and a 4×-wide GELU MLP,
 * {@code h = x + MHA(LN(x))}, {@code out = h + MLP(LN(h))}. {@link #decode} runs new positions against a
 * key/value cache, so generating a token costs one position's work instead of the whole prefix's.
 * Parameters as {@link TransformerEncoder}.
 */
public final class GptBlock extends Layer {
    /**
     * {@code kernelInitializer}/{@code biasInitializer} set the attention's and the MLP's weights and biases; null
     * means Keras's glorot_uniform and zeros, and is left out of the model file so files written before these
     * options existed read the same. Layer norms start at ones/zeros either way.
     */
    public record Config(String name, int numHeads, int intermediateDim, double dropout,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Initializer kernelInitializer,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Initializer biasInitializer) implements LayerConfig {
        public Config(String name, int numHeads, int intermediateDim, double dropout) {
            this(name, numHeads, intermediateDim, dropout, null, null);
        }

        public Config {
            if (numHeads < 1 || intermediateDim < 1) {
                throw new IllegalArgumentException("GptBlock needs numHeads >= 1 and intermediateDim >= 1, got " + numHeads + " and " + intermediateDim);
            }
            if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("GptBlock dropout must be in [0, 1), got " + dropout);
        }

        @Override
        public Layer create() {
            return new GptBlock(this);
        }
    }

    private final Config config;
    private final Block block;

    public GptBlock(Config config) {
        super(config.name());
        this.config = config;
        this.block = new Block(this, config.numHeads(), config.intermediateDim(), Activation.GELU, config.dropout(), 1e-5, true, true,
                config.kernelInitializer(), config.biasInitializer());
    }

    public GptBlock(int numHeads, int intermediateDim) {
        this(new Config(null, numHeads, intermediateDim, 0));
    }

    @Override
    public String typeName() {
        return "GptBlock";
    }

    @Override
    public Config config() {
        return new Config(name(), config.numHeads(), config.intermediateDim(), config.dropout(), config.kernelInitializer(), config.biasInitializer());
    }

    @Override
    protected void validateInput(int[] inputShape) {
        block.validate(inputShape);
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        block.build(inputShape, rng);
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        return inputShape.clone();
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        return block.forward(x, null, ctx, null);
    }

    @Override
    protected Tensor forward(Tensor x, Tensor mask, CallContext ctx) {
        return block.forward(x, mask, ctx, null);
    }

    /** New positions x (B, t, D) after the {@code cache.length()} cached ones → (B, t, D); appends to the cache. Inference only. */
    public Tensor decode(Tensor x, MultiHeadAttention.KvCache cache) {
        return block.forward(x, null, CallContext.inference(), cache);
    }

    /** The causal attention weights (B, H, T, T) this block gives {@code x}. */
    public Tensor attentionWeights(Tensor x) {
        return block.attentionWeights(x);
    }
}
