package dev.kiln.nn.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import java.nio.file.Path;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Masks, states, directions, shapes and error messages of the sequence layers. */
class SequenceLayerBehaviourTest {
    private static final CallContext INFER = CallContext.inference();

    private static void assertClose(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        assertThat(x.length).isEqualTo(y.length);
        for (int i = 0; i < x.length; i++) assertThat(x[i]).as("element " + i).isCloseTo(y[i], Offset.offset(1e-5f));
    }

    @Test
    void maskZeroMakesPaddedSequencesGiveTheSameLstmStateAsUnpaddedOnes() {
        // Post-padded ids (B, 6) against the same ids cut to their real length: the final state must agree.
        Sequential padded = new Sequential(new Embedding(9, 4, true), new Lstm(5));
        padded.seed(3).build(6);
        Sequential cut = new Sequential(new Embedding(9, 4, true), new Lstm(5));
        cut.seed(3).build(3);
        Tensor a = padded.predict(Tensor.of(new float[] {4, 2, 7, 0, 0, 0}, 1, 6));
        Tensor b = cut.predict(Tensor.of(new float[] {4, 2, 7}, 1, 3));
        assertClose(a, b);
        // Without the mask the padding changes the answer, so the check above can fail.
        Sequential unmasked = new Sequential(new Embedding(9, 4, false), new Lstm(5));
        unmasked.seed(3).build(6);
        assertThat(unmasked.predict(Tensor.of(new float[] {4, 2, 7, 0, 0, 0}, 1, 6)).toFloatArray()).isNotEqualTo(b.toFloatArray());
    }

    @Test
    void lstmReturnsItsFinalStatesAndTakesInitialOnes() {
        Lstm lstm = new Lstm(3, true);
        lstm.nameIfUnset("lstm");
        Tensor x = Tensor.normal(new Rng(1), 0, 1, 2, 5, 4);
        Recurrent.Result whole = lstm.forwardWithState(x, null, null, INFER);
        assertThat(whole.output().shape()).containsExactly(2, 5, 3);
        assertClose(whole.states().get(0), whole.output().slice(1, 4, 5).reshape(2, 3));   // h = last output
        // Running the second half from the first half's states gives the same end state (stateful decoding).
        Recurrent.Result first = lstm.forwardWithState(x.slice(1, 0, 2), null, null, INFER);
        Recurrent.Result second = lstm.forwardWithState(x.slice(1, 2, 5), null, first.states(), INFER);
        assertClose(second.states().get(0), whole.states().get(0));
        assertClose(second.states().get(1), whole.states().get(1));
    }

    @Test
    void bidirectionalIsAForwardAndABackwardPassConcatenated() {
        Bidirectional bi = new Bidirectional(new Gru(3));
        bi.nameIfUnset("bi");
        Tensor x = Tensor.normal(new Rng(2), 0, 1, 2, 4, 3);
        Tensor y = bi.call(x, INFER);
        assertThat(y.shape()).containsExactly(2, 6);
        // The backward half equals the forward GRU with the same weights on the time-reversed input.
        Gru gru = new Gru(3);
        gru.nameIfUnset("g");
        gru.build(new int[] {4, 3}, new Rng(0));
        for (String p : gru.parameters().keySet()) gru.setParameter(p, bi.parameters().get("backward." + p));
        Tensor reversed = x.indexSelect(1, new int[] {3, 2, 1, 0});
        assertClose(y.slice(1, 3, 6), gru.call(reversed, INFER));
    }

    @Test
    void paddingMaskHidesPaddedPositionsFromAttention() {
        MultiHeadAttention mha = new MultiHeadAttention(2, 3);
        mha.nameIfUnset("mha");
        Rng rng = new Rng(4);
        Tensor x = Tensor.normal(rng, 0, 1, 1, 4, 6);
        Tensor mask = Tensor.of(new float[] {1, 1, 1, 0}, 1, 4);
        Tensor changed = Tensor.concat(1, x.slice(1, 0, 3), Tensor.normal(rng, 0, 5, 1, 1, 6));   // only the padded step differs
        MultiHeadAttention.Output a = mha.attend(x, mask, INFER, null);
        assertClose(a.output().slice(1, 0, 3), mha.attend(changed, mask, INFER, null).output().slice(1, 0, 3));
        float[] w = a.weights().toFloatArray();   // (1, 2, 4, 4): nothing attends to key 3, each row sums to 1
        for (int row = 0; row < 8; row++) {
            assertThat(w[row * 4 + 3]).isEqualTo(0f);
            assertThat(w[row * 4] + w[row * 4 + 1] + w[row * 4 + 2]).isCloseTo(1f, Offset.offset(1e-5f));
        }
    }

    @Test
    void causalAttentionNeverLooksAhead() {
        MultiHeadAttention mha = new MultiHeadAttention(new MultiHeadAttention.Config(2, 2).withCausal(true));
        mha.nameIfUnset("mha");
        Rng rng = new Rng(5);
        Tensor x = Tensor.normal(rng, 0, 1, 1, 5, 4);
        Tensor y = mha.call(x, INFER);
        Tensor later = Tensor.concat(1, x.slice(1, 0, 2), Tensor.normal(rng, 0, 1, 1, 3, 4));
        assertClose(y.slice(1, 0, 2), mha.call(later, INFER).slice(1, 0, 2));
    }

    @Test
    void timeDistributedAppliesOneLayerToEveryStep() {
        TimeDistributed td = new TimeDistributed(new Dense(2));
        td.nameIfUnset("td");
        Tensor x = Tensor.normal(new Rng(6), 0, 1, 3, 4, 5);
        Tensor y = td.call(x, INFER);
        assertThat(y.shape()).containsExactly(3, 4, 2);
        Tensor k = td.parameters().get("layer.kernel");
        assertClose(y.slice(1, 2, 3).reshape(3, 2), x.slice(1, 2, 3).reshape(3, 5).matmul(k).add(td.parameters().get("layer.bias")));
    }

    @Test
    void layerNormalizationGivesZeroMeanUnitVariance() {
        LayerNormalization ln = new LayerNormalization(1e-6);
        ln.nameIfUnset("ln");
        float[] y = ln.call(Tensor.normal(new Rng(7), 3, 4, 2, 64), INFER).toFloatArray();
        for (int r = 0; r < 2; r++) {
            double mean = 0, sq = 0;
            for (int i = 0; i < 64; i++) mean += y[r * 64 + i];
            mean /= 64;
            for (int i = 0; i < 64; i++) sq += (y[r * 64 + i] - mean) * (y[r * 64 + i] - mean);
            assertThat(mean).isCloseTo(0, Offset.offset(1e-5));
            assertThat(sq / 64).isCloseTo(1, Offset.offset(1e-3));
        }
    }

    @Test
    void sinusoidalEncodingMatchesTheFormula() {
        Tensor pe = SinusoidalPositionalEncoding.table(0, 5, 8);
        assertThat(pe.get(3, 0)).isCloseTo(Math.sin(3), Offset.offset(1e-6));
        assertThat(pe.get(3, 1)).isCloseTo(Math.cos(3), Offset.offset(1e-6));
        assertThat(pe.get(4, 6)).isCloseTo(Math.sin(4 / Math.pow(10000, 6 / 8.0)), Offset.offset(1e-6));
    }

    @Test
    void everySequenceLayerSurvivesTheModelFile(@TempDir Path dir) throws Exception {
        Sequential model = new Sequential(new Embedding(20, 8, true), new PositionalEmbedding(6), new SinusoidalPositionalEncoding(),
                new TransformerEncoder(2, 16), new GptBlock(2, 16), new MultiHeadAttention(2, 4), new LayerNormalization(),
                new Bidirectional(new Lstm(4, true)), new TimeDistributed(new Dense(3, Activation.GELU)),
                new SimpleRnn(3, true), new Gru(4), new Dense(1, Activation.SIGMOID));
        model.seed(1).build(6);
        Tensor x = Tensor.of(new float[] {3, 5, 19, 2, 0, 0, 1, 1, 1, 1, 1, 1}, 2, 6);
        Path file = dir.resolve("m.kiln");
        model.save(file);
        Model loaded = Model.load(file);
        assertThat(loaded.predict(x).toFloatArray()).containsExactly(model.predict(x).toFloatArray());
        assertThat(loaded.summary()).contains("bidirectional_1 (Bidirectional)").contains("gptblock_1 (GptBlock)");
    }

    @Test
    void errorsNameTheLayerTheShapesAndAFix() {
        Sequential lstm = new Sequential(new Lstm(4));
        assertThatThrownBy(() -> lstm.build(10)).hasMessageContaining("lstm_1").hasMessageContaining("(batch, timesteps, features)")
                .hasMessageContaining("(batch, 10)").hasMessageContaining("Embedding");
        Sequential emb = new Sequential(new Embedding(5, 2));
        emb.build(3);
        assertThatThrownBy(() -> emb.predict(Tensor.of(new float[] {1, 7, 2}, 1, 3))).hasMessageContaining("embedding_1")
                .hasMessageContaining("token id 7.0").hasMessageContaining("[0, 5)");
        assertThatThrownBy(() -> new Sequential(new Embedding(5, 6), new GptBlock(4, 8)).build(3)).hasMessageContaining("not divisible by numHeads 4");
        PositionalEmbedding pos = new PositionalEmbedding(4);
        pos.nameIfUnset("pos");
        pos.build(new int[] {4, 2}, new Rng(0));
        assertThatThrownBy(() -> pos.addPositions(Tensor.zeros(1, 2, 2), 3)).hasMessageContaining("crop the context");
    }
}
