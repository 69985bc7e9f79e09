package dev.kiln.nn.layers;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;

/**
 * Runs a recurrent layer forwards and a copy of it backwards over the sequence and merges the two outputs
 * (Schuster &amp; Paliwal 1997; Keras {@code Bidirectional}). With {@code returnSequences} the backward
 * outputs are put back into time order before merging, so step t sees both its past and its future.
 * Parameters are {@code forward.kernel}, ..., {@code backward.kernel}, ...
 */
public final class Bidirectional extends Layer {
    public enum Merge {
        CONCAT, SUM;

        @com.fasterxml.jackson.annotation.JsonValue
        public String keras() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        @com.fasterxml.jackson.annotation.JsonCreator
        public static Merge parse(String s) {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
        }
    }

    public record Config(String name, LayerConfig layer, Merge mergeMode) implements LayerConfig {
        public Config {
            if (!(layer instanceof Lstm.Config || layer instanceof Gru.Config || layer instanceof SimpleRnn.Config)) {
                throw new IllegalArgumentException("Bidirectional wraps an LSTM, GRU or SimpleRNN, got " + (layer == null ? "nothing" : layer.getClass().getSimpleName()));
            }
            if (mergeMode == null) mergeMode = Merge.CONCAT;
        }

        @Override
        public Layer create() {
            return new Bidirectional(this);
        }
    }

    private final Config config;
    private final Children children = new Children(this);
    private final RecurrentLayer<?> forwardLayer;
    private final RecurrentLayer<?> backwardLayer;

    public Bidirectional(Config config) {
        super(config.name());
        this.config = config;
        this.forwardLayer = (RecurrentLayer<?>) children.add("forward", config.layer().create());
        this.backwardLayer = (RecurrentLayer<?>) children.add("backward", forwardLayer.reversed("backward"));
    }

    public Bidirectional(Layer recurrent) {
        this(new Config(null, recurrent.config(), Merge.CONCAT));
    }

    @Override
    public String typeName() {
        return "Bidirectional";
    }

    @Override
    public Config config() {
        return new Config(name(), config.layer(), config.mergeMode());
    }

    @Override
    protected void validateInput(int[] inputShape) {
        Recurrent.validate(this, inputShape);
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        children.build("forward", inputShape, rng);
        children.build("backward", inputShape, rng);
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        int units = forwardLayer.units() * (config.mergeMode() == Merge.CONCAT ? 2 : 1);
        return Recurrent.outputShape(inputShape, units, forwardLayer.returnSequences());
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        return forward(x, null, ctx);
    }

    @Override
    protected Tensor forward(Tensor x, Tensor mask, CallContext ctx) {
        children.sync();
        Tensor f = forwardLayer.forward(x, mask, ctx);   // the outputs alone: no state lists
        Tensor b = backwardLayer.forward(x, mask, ctx);
        if (forwardLayer.returnSequences()) b = reverseTime(b);   // (B, T, U), back in time order
        if (config.mergeMode() != Merge.CONCAT) return f.add(b);
        Tensor[] pair = Scratch.tensors(Scratch.CONCAT_PARTS, 2);   // concat keeps no array: no varargs array a step
        pair[0] = f;
        pair[1] = b;
        try {
            return Tensor.concat(-1, pair);
        } finally {
            pair[0] = pair[1] = null;
        }
    }

    private static Tensor reverseTime(Tensor x) {
        return x.indexSelect(1, RecurrentScratch.reversed(x.shape(1)));
    }

    @Override
    public Tensor computeMask(Tensor x, Tensor mask) {
        return forwardLayer.returnSequences() ? mask : null;
    }
}
