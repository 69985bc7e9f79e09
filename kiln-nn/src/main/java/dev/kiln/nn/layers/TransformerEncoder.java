package dev.kiln.nn.layers;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;

/**
 * The Transformer encoder block of Vaswani et al. (2017), as keras-nlp's {@code TransformerEncoder} and
 * PyTorch's {@code TransformerEncoderLayer(batch_first=True)}: {@code h = LN(x + MHA(x))},
 * {@code out = LN(h + FFN(h))} with FFN = Dense(intermediateDim, activation) → Dense(D); {@code normalizeFirst}
 * moves each LN in front of its sublayer. A (B, T) padding mask from Embedding(maskZero) is honoured.
 * Parameters: {@code attention.*}, {@code attention_norm.*}, {@code ffn_1.*}, {@code ffn_2.*}, {@code ffn_norm.*}.
 */
public final class TransformerEncoder extends Layer {
    public record Config(String name, int numHeads, int intermediateDim, Activation activation, double dropout, double epsilon,
                         boolean normalizeFirst) implements LayerConfig {
        public Config {
            if (numHeads < 1 || intermediateDim < 1) {
                throw new IllegalArgumentException("TransformerEncoder needs numHeads >= 1 and intermediateDim >= 1, got " + numHeads + " and " + intermediateDim);
            }
            if (activation == null) activation = Activation.RELU;
            if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("TransformerEncoder dropout must be in [0, 1), got " + dropout);
            if (!(epsilon > 0)) epsilon = 1e-5;
        }

        public Config(int numHeads, int intermediateDim) {
            this(null, numHeads, intermediateDim, Activation.RELU, 0, 1e-5, false);
        }

        @Override
        public Layer create() {
            return new TransformerEncoder(this);
        }
    }

    private final Config config;
    private final Block block;

    public TransformerEncoder(Config config) {
        super(config.name());
        this.config = config;
        this.block = new Block(this, config.numHeads(), config.intermediateDim(), config.activation(), config.dropout(), config.epsilon(),
                config.normalizeFirst(), false);
    }

    public TransformerEncoder(int numHeads, int intermediateDim) {
        this(new Config(numHeads, intermediateDim));
    }

    @Override
    public String typeName() {
        return "TransformerEncoder";
    }

    @Override
    public Config config() {
        return new Config(name(), config.numHeads(), config.intermediateDim(), config.activation(), config.dropout(), config.epsilon(),
                config.normalizeFirst());
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

    /** The attention weights (B, H, T, T) this block gives {@code x}, for visualisation (inference mode). */
    public Tensor attentionWeights(Tensor x) {
        return block.attentionWeights(x);
    }
}
