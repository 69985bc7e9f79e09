package dev.kiln.nn.layers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.testkit.Fixture;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * LSTM, GRU, causal MultiHeadAttention and both Transformer blocks against PyTorch (fixtures written by
 * {@code sequence_fixtures()} in tools/reference/make_fixtures.py): forward values, final states, attention
 * weights, and the gradients of the input and of every parameter.
 */
class SequenceReferenceFixtureTest {
    private static final double RTOL = 1e-4;
    private static final double ATOL = 2e-5;

    static void assertClose(String what, Tensor actual, float[] expected) {
        float[] a = actual.toFloatArray();
        assertThat(a.length).as(what + " size").isEqualTo(expected.length);
        for (int i = 0; i < a.length; i++) {
            assertThat((double) a[i]).as(what + "[" + i + "]").isCloseTo(expected[i], Offset.offset(ATOL + RTOL * Math.abs(expected[i])));
        }
    }

    /** Builds the layer for the fixture's x, loads every parameter by name, runs x, checks y and all gradients. */
    private static Tensor check(Layer layer, Fixture f) {
        int[] xs = f.shape("x");
        layer.nameIfUnset("layer");
        layer.build(java.util.Arrays.copyOfRange(xs, 1, xs.length), new Rng(0));
        for (var e : layer.parameters().entrySet()) {
            float[] v = f.data(e.getKey());
            assertThat(v.length).as(e.getKey()).isEqualTo(e.getValue().size());
            System.arraycopy(v, 0, e.getValue().rawFloats(), 0, v.length);
        }
        Tensor x = f.tensor("x").requiresGrad(true);
        Tensor y = layer.call(x, CallContext.inference());
        assertClose("y", y, f.data("y"));
        y.mul(f.tensor("dy")).sum().backward();
        assertClose("dx", x.grad(), f.data("dx"));
        for (var e : layer.parameters().entrySet()) assertClose("d" + e.getKey(), e.getValue().grad(), f.data("d" + e.getKey()));
        return x;
    }

    @Test
    void lstmMatchesPyTorch() {
        Fixture f = Fixture.load("reference/lstm.json");
        Lstm lstm = new Lstm(5, true);
        check(lstm, f);
        Recurrent.Result r = lstm.forwardWithState(f.tensor("x"), null, null, CallContext.inference());
        assertClose("h", r.states().get(0), f.data("h"));
        assertClose("c", r.states().get(1), f.data("c"));
    }

    @Test
    void gruMatchesPyTorch() {
        Fixture f = Fixture.load("reference/gru.json");
        Gru gru = new Gru(5, true);
        check(gru, f);
        assertClose("h", gru.forwardWithState(f.tensor("x"), null, null, CallContext.inference()).states().get(0), f.data("h"));
    }

    @Test
    void causalMultiHeadAttentionMatchesPyTorch() {
        Fixture f = Fixture.load("reference/mha_causal.json");
        MultiHeadAttention mha = new MultiHeadAttention(new MultiHeadAttention.Config(2, 4).withCausal(true));
        check(mha, f);
        assertClose("weights", mha.attend(f.tensor("x"), null, CallContext.inference(), null).weights(), f.data("weights"));
    }

    @Test
    void transformerEncoderMatchesPyTorch() {
        check(new TransformerEncoder(new TransformerEncoder.Config(null, 2, 16, Activation.RELU, 0, 1e-5, false)),
                Fixture.load("reference/transformer_encoder.json"));
    }

    @Test
    void gptBlockMatchesPyTorchPreNormCausalBlock() {
        check(new GptBlock(2, 16), Fixture.load("reference/gpt_block.json"));
    }

    @Test
    void fixturesCoverEveryParameter() {
        // A parameter the script forgot would make check() fail to load; this guards the reverse: no fixture weight unused.
        Fixture f = Fixture.load("reference/gpt_block.json");
        GptBlock block = new GptBlock(2, 16);
        block.nameIfUnset("b");
        block.build(new int[] {5, 8}, new Rng(0));
        for (String n : List.of("attention.query.kernel", "attention_norm.gamma", "ffn_1.kernel", "ffn_2.bias", "ffn_norm.beta")) {
            assertThat(block.parameters()).containsKey(n);
            assertThat(f.has(n)).isTrue();
        }
    }
}
