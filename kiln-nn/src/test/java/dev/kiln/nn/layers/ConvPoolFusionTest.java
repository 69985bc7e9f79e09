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
 * Sequential runs a Conv2D(relu) followed by a tiling MaxPooling2D as one fused op ({@link dev.kiln.core.Conv#conv2dReluMaxPool});
 * here against the same layers called one by one on the same weights: outputs and every parameter gradient, in
 * float32, for the tutorial CNN's shape, an odd one and a pair that must not fuse (overlapping windows).
 */
class ConvPoolFusionTest {
    static Sequential model(int filters, int pool, int stride, boolean useBias) {
        Conv2D.Config c = new Conv2D.Config(filters, 3, Activation.RELU).withUseBias(useBias);
        Sequential m = new Sequential(new Conv2D(c), new MaxPooling2D(new MaxPooling2D.Config(null, new int[] {pool}, new int[] {stride}, null)),
                new Conv2D(8, 3, Activation.RELU), new MaxPooling2D(2), new Flatten(), new Dense(3));
        m.seed(7).build(16, 15, 2);
        return m;
    }

    @ParameterizedTest(name = "filters={0} pool={1} stride={2} bias={3}")
    @CsvSource({"32, 2, 2, true", "5, 3, 3, false", "6, 3, 2, true"})
    void fusedSequentialMatchesLayerByLayer(int filters, int pool, int stride, boolean useBias) {
        Sequential m = model(filters, pool, stride, useBias);
        Tensor x = Tensor.uniform(new Rng(3), -1, 1, 4, 16, 15, 2);
        Tensor fused = m.call(x, new CallContext(true, new Rng(1)));
        List<Tensor> params = new ArrayList<>(m.parameters().values());
        Tensor w = Tensor.uniform(new Rng(2), -1, 1, fused.shape());
        fused.mul(w).sum().backward();
        List<Tensor> fusedGrads = new ArrayList<>();
        for (Tensor p : params) {
            fusedGrads.add(p.grad().copy());
            p.zeroGrad();
        }

        Tensor h = x;
        for (Layer l : m.layers()) h = l.call(h, new CallContext(true, new Rng(1)));
        assertClose(fused, h, "output");
        h.mul(w).sum().backward();
        for (int k = 0; k < params.size(); k++) assertClose(fusedGrads.get(k), params.get(k).grad(), "gradient of parameter " + k);
    }

    static void assertClose(Tensor a, Tensor b, String what) {
        assertThat(a.shape()).as(what).containsExactly(b.shape());
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        for (int i = 0; i < x.length; i++) {
            assertThat(Math.abs(x[i] - y[i])).as("%s at %d: %s vs %s", what, i, x[i], y[i]).isLessThanOrEqualTo(1e-5f * (1 + Math.abs(y[i])));
        }
    }
}
