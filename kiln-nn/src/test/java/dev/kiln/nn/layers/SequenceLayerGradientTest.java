package dev.kiln.nn.layers;

import dev.kiln.core.GradCheck;
import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every sequence layer against central finite differences in double, table-driven as the Dense/loss test:
 * the layer's parameters are swapped for the checker's float64 leaves (composite layers hand them on to
 * their sublayers), so the same forward code is what gets differentiated. Token-id inputs are held fixed.
 */
class SequenceLayerGradientTest {
    /** A (B, T) mask with padding at the end of the second sequence. */
    private static final float[] MASK_2x4 = {1, 1, 1, 1, 1, 1, 0, 0};

    static Stream<Arguments> layers() {
        return Stream.of(
                // name, layer, input shape, token ids?, mask (or null)
                Arguments.of("Embedding", (Supplier<Layer>) () -> new Embedding(7, 3), new int[] {2, 4}, true, null),
                Arguments.of("SimpleRNN last", (Supplier<Layer>) () -> new SimpleRnn(3), new int[] {2, 4, 3}, false, null),
                Arguments.of("SimpleRNN sequences backwards", (Supplier<Layer>) () -> new SimpleRnn(new SimpleRnn.Config(3).withReturnSequences(true).withGoBackwards(true)),
                        new int[] {2, 3, 2}, false, null),
                Arguments.of("LSTM last", (Supplier<Layer>) () -> new Lstm(3), new int[] {2, 4, 3}, false, null),
                Arguments.of("LSTM sequences", (Supplier<Layer>) () -> new Lstm(3, true), new int[] {2, 3, 2}, false, null),
                Arguments.of("LSTM masked", (Supplier<Layer>) () -> new Lstm(3, true), new int[] {2, 4, 2}, false, MASK_2x4),
                Arguments.of("GRU last", (Supplier<Layer>) () -> new Gru(3), new int[] {2, 4, 3}, false, null),
                Arguments.of("GRU sequences masked", (Supplier<Layer>) () -> new Gru(3, true), new int[] {2, 4, 2}, false, MASK_2x4),
                Arguments.of("Bidirectional LSTM concat", (Supplier<Layer>) () -> new Bidirectional(new Lstm(2, true)), new int[] {2, 3, 2}, false, null),
                Arguments.of("Bidirectional GRU sum", (Supplier<Layer>) () -> new Bidirectional(new Bidirectional.Config(null, new Gru.Config(2), Bidirectional.Merge.SUM)),
                        new int[] {2, 3, 2}, false, null),
                Arguments.of("TimeDistributed Dense", (Supplier<Layer>) () -> new TimeDistributed(new Dense(2, Activation.TANH)), new int[] {2, 3, 4}, false, null),
                Arguments.of("LayerNormalization", (Supplier<Layer>) () -> new LayerNormalization(), new int[] {2, 3, 5}, false, null),
                Arguments.of("GELU", (Supplier<Layer>) () -> new ActivationLayer(Activation.GELU), new int[] {3, 4}, false, null),
                Arguments.of("MultiHeadAttention", (Supplier<Layer>) () -> new MultiHeadAttention(2, 2), new int[] {2, 3, 4}, false, null),
                Arguments.of("MultiHeadAttention causal", (Supplier<Layer>) () -> new MultiHeadAttention(new MultiHeadAttention.Config(2, 2).withCausal(true)),
                        new int[] {2, 3, 4}, false, null),
                Arguments.of("MultiHeadAttention padding mask", (Supplier<Layer>) () -> new MultiHeadAttention(2, 2), new int[] {2, 4, 4}, false, MASK_2x4),
                Arguments.of("PositionalEmbedding", (Supplier<Layer>) () -> new PositionalEmbedding(5), new int[] {2, 3, 4}, false, null),
                Arguments.of("SinusoidalPositionalEncoding", (Supplier<Layer>) SinusoidalPositionalEncoding::new, new int[] {2, 3, 4}, false, null),
                Arguments.of("TransformerEncoder", (Supplier<Layer>) () -> new TransformerEncoder(2, 6), new int[] {2, 3, 4}, false, null),
                Arguments.of("TransformerEncoder pre-norm masked", (Supplier<Layer>) () -> new TransformerEncoder(
                        new TransformerEncoder.Config(null, 2, 6, Activation.GELU, 0, 1e-5, true)), new int[] {2, 4, 4}, false, MASK_2x4),
                Arguments.of("GptBlock", (Supplier<Layer>) () -> new GptBlock(2, 8), new int[] {2, 3, 4}, false, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void gradientsMatchFiniteDifferences(String name, Supplier<Layer> make, int[] inputShape, boolean tokenIds, float[] mask) {
        Rng rng = new Rng(7);
        Layer layer = make.get();
        layer.nameIfUnset("layer");
        layer.build(Arrays.copyOfRange(inputShape, 1, inputShape.length), rng);
        List<String> names = new ArrayList<>(layer.parameters().keySet());
        List<Tensor> inputs = new ArrayList<>();
        Tensor ids = null;
        if (tokenIds) {
            float[] v = new float[inputShape[0] * inputShape[1]];
            for (int i = 0; i < v.length; i++) v[i] = rng.nextInt(7);
            ids = Tensor.of(v, inputShape);
        } else {
            inputs.add(Tensor.normal(rng, 0, 1, inputShape));
        }
        // Perturb every parameter so ones, zeros and symmetric starting points do not hide mistakes.
        for (String p : names) inputs.add(layer.parameters().get(p).add(Tensor.normal(rng, 0, 0.2f, layer.parameters().get(p).shape())));
        Tensor m = mask == null ? null : Tensor.of(mask, inputShape[0], inputShape[1]);
        Tensor fixedIds = ids;
        int first = tokenIds ? 0 : 1;
        Function<Tensor[], Tensor> f = in -> {
            for (int i = 0; i < names.size(); i++) layer.setParameter(names.get(i), in[i + first]);
            Tensor x = tokenIds ? fixedIds : in[0];
            return layer.call(x, m, new CallContext(false, new Rng(1)));
        };
        GradCheck.check(f, GradCheck.Options.DEFAULT.withAtol(1e-5).withRtol(1e-4), inputs.toArray(Tensor[]::new));
    }
}
