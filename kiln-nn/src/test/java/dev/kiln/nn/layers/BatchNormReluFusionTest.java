package dev.kiln.nn.layers;

import static dev.kiln.nn.layers.ConvPoolFusionTest.creatorOf;
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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sequential and Functional run BatchNormalization followed by a ReLU Activation layer as one op ({@link
 * BatchNormalization#callWithRelu}); here against the same layers called one by one on the same weights: the output,
 * every parameter gradient and the moving statistics, bit for bit, in training and in inference. Not fused: another
 * activation, and a normalisation whose output a second node also reads.
 */
class BatchNormReluFusionTest {
    /** Conv2D (linear) → BatchNormalization → ReLU → pooling → Dense: the usual block, channels 8 (whole vectors) or 5. */
    static Sequential model(int filters, Activation after) {
        Sequential m = new Sequential(new Conv2D(filters, 3, Activation.LINEAR), new BatchNormalization(), new ActivationLayer(after),
                new MaxPooling2D(2), new Flatten(), new Dense(3));
        m.seed(11).build(12, 11, 2);
        return m;
    }

    @ParameterizedTest(name = "filters={0}")
    @ValueSource(ints = {8, 5, 32})
    void fusedMatchesLayerByLayerBitForBit(int filters) {
        Tensor x = Tensor.uniform(new Rng(3), -1, 1, 4, 12, 11, 2), w = Tensor.uniform(new Rng(2), -1, 1, 4, 3);
        Sequential fusedModel = model(filters, Activation.RELU), plainModel = model(filters, Activation.RELU);
        for (boolean training : new boolean[] {true, false}) {
            List<float[]> fused = run(fusedModel, x, w, training, false), plain = run(plainModel, x, w, training, true);
            for (int k = 0; k < plain.size(); k++) {
                assertThat(fused.get(k)).as("training %s: output, each gradient, then each buffer: %d", training, k).isEqualTo(plain.get(k));
            }
        }
        Tensor y = model(filters, Activation.RELU).layers().get(1).call(Tensor.uniform(new Rng(4), -1, 1, 4, 10, 9, filters), ctx(true));
        Sequential pair = new Sequential(new BatchNormalization(), new ActivationLayer(Activation.RELU));
        assertThat(creatorOf(pair.call(y, ctx(true)))).as("BatchNormalization then ReLU").isEqualTo("BatchNorm");
        Sequential tanh = new Sequential(new BatchNormalization(), new ActivationLayer(Activation.TANH));
        assertThat(creatorOf(tanh.call(y, ctx(true)))).as("BatchNormalization then tanh").isNotEqualTo("BatchNorm");
    }

    @Test
    void functionalFusesLikeSequentialButNotANormalisationReadTwice() {
        Sequential seq = model(8, Activation.RELU);
        List<Layer> l = seq.layers();
        Node in = Node.input(12, 11, 2);
        Node out = in.then(l.get(0)).then(l.get(1)).then(l.get(2)).then(l.get(3)).then(l.get(4)).then(l.get(5));
        Tensor x = Tensor.uniform(new Rng(3), -1, 1, 4, 12, 11, 2), w = Tensor.uniform(new Rng(2), -1, 1, 4, 3);
        Sequential again = model(8, Activation.RELU);
        List<float[]> graph = run(new Functional(in, out), x, w, true, false), sequential = run(again, x, w, true, false);
        for (int k = 0; k < sequential.size(); k++) assertThat(graph.get(k)).as("output, gradients, buffers: %d", k).isEqualTo(sequential.get(k));
        Node bnIn = Node.input(10, 9, 8);
        Node relu = bnIn.then(new BatchNormalization()).then(new ActivationLayer(Activation.RELU));
        Tensor h = Tensor.uniform(new Rng(5), -1, 1, 4, 10, 9, 8);
        assertThat(creatorOf(new Functional(bnIn, relu).call(h, ctx(true)))).isEqualTo("BatchNorm");

        // The normalised value also read by a second node: that pair runs unfused and the result is the layers' own.
        BatchNormalization bn = new BatchNormalization(), bnAlone = new BatchNormalization();
        ActivationLayer act = new ActivationLayer(Activation.RELU);
        Node in2 = Node.input(10, 9, 8);
        Node normalised = in2.then(bn);
        Node joined = Node.merge(new Add(), normalised.then(act), normalised);
        Tensor y = new Functional(in2, joined).call(h, ctx(true));
        assertThat(creatorOf(y)).isNotEqualTo("BatchNorm");
        Tensor n = bnAlone.call(h, ctx(true));
        assertThat(y.toFloatArray()).isEqualTo(n.relu().add(n).toFloatArray());
    }

    /**
     * The output of one call, the gradient of sum(output·w) for each parameter, then each buffer (the moving statistics
     * after the call); {@code layerByLayer} calls the model's layers in turn instead of the model.
     */
    private static List<float[]> run(Model m, Tensor x, Tensor w, boolean training, boolean layerByLayer) {
        for (Tensor p : m.parameters().values()) p.zeroGrad();
        Tensor y = x;
        if (layerByLayer) for (Layer l : ((Sequential) m).layers()) y = l.call(y, ctx(training));
        else y = m.call(x, ctx(training));
        return collect(m, y, w, training);
    }

    private static List<float[]> collect(Model m, Tensor y, Tensor w, boolean training) {
        List<float[]> out = new ArrayList<>(List.of(y.toFloatArray()));
        if (training) {
            y.mul(w).sum().backward();
            for (Tensor p : m.parameters().values()) out.add(p.grad().toFloatArray());
        }
        for (Tensor b : m.buffers().values()) out.add(b.toFloatArray());
        return out;
    }

    private static CallContext ctx(boolean training) {
        return new CallContext(training, new Rng(1));
    }
}
