package dev.kiln.nn.layers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The GRU layer's fused path ({@link dev.kiln.core.Recurrent#gru}) against its per-step composed path on the
 * same weights, in float32 with masks, both directions and both output modes: outputs and every parameter
 * gradient. The composed path is forced by an input dropout so small that its mask is exactly one.
 */
class GruFusedPathTest {
    static Sequential model(boolean returnSequences, boolean goBackwards, double dropout) {
        Gru.Config c = new Gru.Config(7).withReturnSequences(returnSequences).withGoBackwards(goBackwards).withDropout(dropout, 0);
        Sequential m = new Sequential(new Embedding(11, 5, true), new Gru(c));
        m.seed(5).build(6);
        return m;
    }

    @ParameterizedTest(name = "returnSequences={0} goBackwards={1}")
    @CsvSource({"false, false", "true, false", "false, true", "true, true"})
    void fusedAndComposedPathsAgree(boolean returnSequences, boolean goBackwards) {
        // Post- and pre-padded rows (id 0 is masked) and one full row.
        Tensor ids = Tensor.of(new float[] {4, 2, 7, 0, 0, 0, 0, 0, 3, 9, 1, 5, 8, 6, 10, 2, 3, 1}, 3, 6);
        Sequential fused = model(returnSequences, goBackwards, 0), composed = model(returnSequences, goBackwards, 1e-12);
        Tensor a = fused.call(ids, new CallContext(true, new Rng(1)));
        Tensor b = composed.call(ids, new CallContext(true, new Rng(1)));
        assertClose(a, b, "output");
        Tensor w = Tensor.uniform(new Rng(2), -1, 1, a.shape());
        a.mul(w).sum().backward();
        b.mul(w).sum().backward();
        List<Tensor> pa = new ArrayList<>(fused.parameters().values()), pb = new ArrayList<>(composed.parameters().values());
        assertThat(pa).hasSize(pb.size());
        for (int k = 0; k < pa.size(); k++) {
            assertClose(pa.get(k), pb.get(k), "parameter " + k);
            assertClose(pa.get(k).grad(), pb.get(k).grad(), "gradient of parameter " + k);
        }
    }

    static void assertClose(Tensor a, Tensor b, String what) {
        assertThat(a.shape()).as(what).containsExactly(b.shape());
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        for (int i = 0; i < x.length; i++) {
            assertThat(Math.abs(x[i] - y[i])).as("%s at %d: %s vs %s", what, i, x[i], y[i]).isLessThanOrEqualTo(1e-5f * (1 + Math.abs(y[i])));
        }
    }
}
