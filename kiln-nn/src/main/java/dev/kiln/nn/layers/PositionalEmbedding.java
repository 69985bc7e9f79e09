package dev.kiln.nn.layers;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;

/**
 * Learned absolute positions (GPT-2, Radford et al. 2019; keras-nlp {@code PositionEmbedding}): adds row t
 * of a trainable table (sequenceLength, D) to step t of (B, T, D). Initialised N(0, 0.02) as GPT-2.
 */
public final class PositionalEmbedding extends Layer {
    public record Config(String name, int sequenceLength) implements LayerConfig {
        public Config {
            if (sequenceLength < 1) throw new IllegalArgumentException("PositionalEmbedding sequenceLength must be >= 1, got " + sequenceLength);
        }

        @Override
        public Layer create() {
            return new PositionalEmbedding(this);
        }
    }

    private final int sequenceLength;

    public PositionalEmbedding(int sequenceLength) {
        this(new Config(null, sequenceLength));
    }

    public PositionalEmbedding(Config config) {
        super(config.name());
        this.sequenceLength = config.sequenceLength();
    }

    @Override
    public String typeName() {
        return "PositionalEmbedding";
    }

    @Override
    public Config config() {
        return new Config(name(), sequenceLength);
    }

    @Override
    protected void validateInput(int[] inputShape) {
        if (inputShape.length != 2 || inputShape[0] > sequenceLength) {
            throw new IllegalArgumentException("layer '" + name() + "' (PositionalEmbedding) expects input of shape (batch, timesteps <= " + sequenceLength
                    + ", features) but received " + Layer.batchShape(inputShape) + "; raise sequenceLength or shorten the sequences");
        }
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        addParameter("embeddings", Tensor.normal(rng, 0, 0.02f, sequenceLength, inputShape[1]));
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        return inputShape.clone();
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        return addPositions(x, 0);
    }

    /** x (B, T, D) plus the positions {@code offset} .. {@code offset + T − 1} (offset > 0 when decoding with a cache). */
    public Tensor addPositions(Tensor x, int offset) {
        int t = x.shape(1);
        if (offset + t > sequenceLength) {
            throw new IllegalArgumentException("layer '" + name() + "' (PositionalEmbedding) knows " + sequenceLength + " positions but was asked for position "
                    + (offset + t - 1) + "; crop the context to the last " + sequenceLength + " tokens");
        }
        return x.add(parameter("embeddings").slice(0, offset, offset + t));   // (B, T, D) + (T, D)
    }

    public int sequenceLength() {
        return sequenceLength;
    }
}
