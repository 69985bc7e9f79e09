package dev.kiln.nn.layers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Functional;
import dev.kiln.nn.Model;
import dev.kiln.nn.Node;
import dev.kiln.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Sequential runs a Conv2D(relu) followed by a tiling MaxPooling2D as one fused op ({@link dev.kiln.core.Conv#conv2dReluMaxPool});
 * here against the same layers called one by one on the same weights: outputs and every parameter gradient, in
 * float32, for the tutorial CNN's shape, an odd one and a pair that must not fuse (overlapping windows). A Functional
 * model fuses the same pairs (the same bits as Sequential), but not a convolution whose output another node also reads.
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

    @Test
    void functionalFusesLikeSequentialButNotAConvolutionReadTwice() {
        // The same layers as model(32, 2, 2, true), as a graph: both pairs are a convolution whose one consumer pools it.
        Sequential seq = model(32, 2, 2, true);
        List<Layer> l = seq.layers();
        Node in = Node.input(16, 15, 2);
        Node out = in.then(l.get(0)).then(l.get(1)).then(l.get(2)).then(l.get(3)).then(l.get(4)).then(l.get(5));
        Functional graph = new Functional(in, out);
        Tensor x = Tensor.uniform(new Rng(3), -1, 1, 4, 16, 15, 2);
        Tensor w = Tensor.uniform(new Rng(2), -1, 1, 4, 3);
        // Fused and unfused give the same bits here, so the op that made the result is what shows the fusion.
        Node pooled = Node.input(16, 15, 2).then(new Conv2D(6, 3, Activation.RELU)).then(new MaxPooling2D(2));
        Model convPool = new Functional(firstInput(pooled), pooled).seed(1);
        assertThat(creatorOf(convPool.call(x, new CallContext(true, new Rng(1))))).isEqualTo("ConvReluMaxPool");
        Model convPoolSeq = new Sequential(new Conv2D(6, 3, Activation.RELU), new MaxPooling2D(2)).seed(1);
        assertThat(creatorOf(convPoolSeq.call(x, new CallContext(true, new Rng(1))))).isEqualTo("ConvReluMaxPool");
        List<Tensor> seqGrads = outputAndGradients(seq, x, w), graphGrads = outputAndGradients(graph, x, w);
        for (int k = 0; k < seqGrads.size(); k++) {
            assertThat(graphGrads.get(k).toFloatArray()).as("output, then each gradient: %d", k).isEqualTo(seqGrads.get(k).toFloatArray());
        }

        // A second reader of the first convolution's activation: that pair must run unfused, the rest as before.
        Conv2D conv = new Conv2D(new Conv2D.Config(6, 3, Activation.RELU));
        MaxPooling2D pool = new MaxPooling2D(2);
        GlobalAveragePooling2D gapPooled = new GlobalAveragePooling2D(), gapRaw = new GlobalAveragePooling2D();
        Dense head = new Dense(3);
        Node c = Node.input(16, 15, 2).then(conv);
        Node joined = Node.merge(new Concatenate(), c.then(pool).then(gapPooled), c.then(gapRaw));
        Model twice = new Functional(firstInput(c), joined.then(head));
        twice.seed(5).build(16, 15, 2);
        Tensor y = twice.call(x, new CallContext(true, new Rng(1)));
        CallContext ctx = new CallContext(true, new Rng(1));
        Tensor h = conv.call(x, ctx);
        Tensor want = head.call(new Concatenate().call(List.of(gapPooled.call(pool.call(h, ctx), ctx), gapRaw.call(h, ctx)), ctx), ctx);
        assertClose(y, want, "output with the convolution read twice");
    }

    /**
     * The class of the op that produced t (Tensor's package-private creator field: the one trace a fusion leaves); also
     * used by BatchNormReluFusionTest.
     */
    static String creatorOf(Tensor t) {
        try {
            java.lang.reflect.Field f = Tensor.class.getDeclaredField("creator");
            f.setAccessible(true);
            Object op = f.get(t);
            return op == null ? "none" : op.getClass().getSimpleName();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("Tensor has no creator field any more; update this test", e);
        }
    }

    private static Node firstInput(Node n) {
        while (!n.isInput()) n = n.parents().get(0);
        return n;
    }

    /** The model's output on x, then the gradient of sum(output·w) for each parameter, in parameter order. */
    private static List<Tensor> outputAndGradients(Model m, Tensor x, Tensor w) {
        for (Tensor p : m.parameters().values()) p.zeroGrad();
        Tensor y = m.call(x, new CallContext(true, new Rng(1)));
        y.mul(w).sum().backward();
        List<Tensor> out = new ArrayList<>(List.of(y.detach()));
        for (Tensor p : m.parameters().values()) out.add(p.grad().copy());
        return out;
    }

    static void assertClose(Tensor a, Tensor b, String what) {
        assertThat(a.shape()).as(what).containsExactly(b.shape());
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        for (int i = 0; i < x.length; i++) {
            assertThat(Math.abs(x[i] - y[i])).as("%s at %d: %s vs %s", what, i, x[i], y[i]).isLessThanOrEqualTo(1e-5f * (1 + Math.abs(y[i])));
        }
    }
}
