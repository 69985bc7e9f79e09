package dev.kiln.nn;

import dev.kiln.core.DType;
import dev.kiln.core.GradCheck;
import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.AveragePooling2D;
import dev.kiln.nn.layers.BatchNormalization;
import dev.kiln.nn.layers.Conv2D;
import dev.kiln.nn.layers.Conv2DTranspose;
import dev.kiln.nn.layers.GlobalAveragePooling2D;
import dev.kiln.nn.layers.GlobalMaxPooling2D;
import dev.kiln.nn.layers.MaxPooling2D;
import dev.kiln.nn.layers.Padding;
import dev.kiln.nn.layers.Reshape;
import dev.kiln.nn.layers.SpatialDropout2D;
import dev.kiln.nn.layers.ZeroPadding2D;
import dev.kiln.nn.layers.ActivationLayer;
import dev.kiln.nn.layers.CallContext;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Dropout;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.layers.Layer;
import dev.kiln.nn.losses.Loss;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every layer and loss against central finite differences in double: the layer's parameters are swapped
 * for the checker's float64 leaves, so the same forward code is what gets differentiated.
 */
class LayerAndLossGradientTest {

    static Stream<Arguments> layers() {
        return Stream.of(
                Arguments.of("Dense linear", new Dense(4), new int[] {3, 5}),
                Arguments.of("Dense relu", new Dense(4, Activation.RELU), new int[] {3, 5}),
                Arguments.of("Dense sigmoid no bias", new Dense(new Dense.Config(3, Activation.SIGMOID).withUseBias(false)), new int[] {2, 6}),
                Arguments.of("Dense tanh rank 3", new Dense(3, Activation.TANH), new int[] {2, 3, 4}),
                Arguments.of("Dense softmax", new Dense(5, Activation.SOFTMAX), new int[] {3, 4}),
                Arguments.of("Dense l2", new Dense(new Dense.Config(3, Activation.LINEAR).withL2(0.1)), new int[] {2, 4}),
                Arguments.of("Flatten", new Flatten(), new int[] {2, 3, 4}),
                Arguments.of("Activation tanh", new ActivationLayer(Activation.TANH), new int[] {3, 4}),
                Arguments.of("Dropout (inference)", new Dropout(0.5), new int[] {3, 4}),
                Arguments.of("Conv2D relu", new Conv2D(3, 2, Activation.RELU), new int[] {2, 4, 5, 2}),
                Arguments.of("Conv2D same stride 2 tanh", new Conv2D(new Conv2D.Config(2, 3, Activation.TANH).withPadding(Padding.SAME).withStrides(2, 2)),
                        new int[] {2, 5, 5, 3}),
                Arguments.of("Conv2D depthwise no bias", new Conv2D(new Conv2D.Config(4, 3, Activation.LINEAR).withGroups(2).withUseBias(false)),
                        new int[] {1, 4, 4, 2}),
                Arguments.of("Conv2D dilated", new Conv2D(new Conv2D.Config(2, 2, Activation.LINEAR).withDilation(2, 2)), new int[] {1, 5, 5, 2}),
                Arguments.of("Conv2DTranspose same stride 2 relu", new Conv2DTranspose(new Conv2DTranspose.Config(3, 3, 2, Padding.SAME, Activation.TANH)),
                        new int[] {2, 3, 2, 2}),
                Arguments.of("MaxPooling2D", new MaxPooling2D(2), new int[] {2, 4, 5, 3}),
                Arguments.of("AveragePooling2D same", new AveragePooling2D(new AveragePooling2D.Config(null, new int[] {3}, new int[] {2}, Padding.SAME)),
                        new int[] {1, 5, 4, 2}),
                Arguments.of("GlobalAveragePooling2D", new GlobalAveragePooling2D(), new int[] {2, 3, 4, 3}),
                Arguments.of("GlobalMaxPooling2D", new GlobalMaxPooling2D(), new int[] {2, 3, 4, 3}),
                Arguments.of("BatchNormalization (inference)", new BatchNormalization(), new int[] {2, 3, 3, 4}),
                Arguments.of("ZeroPadding2D", new ZeroPadding2D(1, 2, 0, 1), new int[] {2, 3, 2, 2}),
                Arguments.of("SpatialDropout2D (inference)", new SpatialDropout2D(0.5), new int[] {2, 3, 2, 2}),
                Arguments.of("Reshape", new Reshape(4, -1), new int[] {2, 2, 6}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void layerGradientsMatchFiniteDifferences(String name, Layer layer, int[] inputShape) {
        Rng rng = new Rng(7);
        int[] sample = java.util.Arrays.copyOfRange(inputShape, 1, inputShape.length);
        layer.nameIfUnset("layer");
        layer.build(sample, rng);
        List<String> names = new ArrayList<>(layer.parameters().keySet());
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(Tensor.normal(rng, 0, 1, inputShape));
        for (String p : names) inputs.add(layer.parameters().get(p).add(Tensor.normal(rng, 0, 0.1f, layer.parameters().get(p).shape())));
        Function<Tensor[], Tensor> f = in -> {
            for (int i = 0; i < names.size(); i++) layer.setParameter(names.get(i), in[i + 1]);
            Tensor y = layer.call(in[0], new CallContext(false, new Rng(1)));
            Tensor reg = layer.regularization();
            return reg == null ? y : y.sum().add(reg);
        };
        GradCheck.check(f, inputs.toArray(Tensor[]::new));
    }

    static Stream<Arguments> losses() {
        Rng rng = new Rng(3);
        Tensor logits = Tensor.normal(rng, 0, 2, 4, 5);
        Tensor probs = Tensor.uniform(rng, 0.05f, 1f, 4, 5);
        Tensor sparse = Tensor.of(new float[] {0, 3, 4, 1}, 4);
        Tensor onehot = Tensor.zeros(4, 5);
        float[] oh = onehot.rawFloats();
        for (int i = 0; i < 4; i++) oh[i * 5 + (int) sparse.get(i)] = 1;
        Tensor bin = Tensor.of(new float[] {1, 0, 0, 1, 1, 0}, 6, 1);
        Tensor binLogits = Tensor.normal(rng, 0, 2, 6, 1);
        Tensor binProbs = Tensor.uniform(rng, 0.05f, 0.95f, 6, 1);
        Tensor regression = Tensor.normal(rng, 0, 1, 4, 5);
        return Stream.of(
                Arguments.of(Loss.MEAN_SQUARED_ERROR, logits, regression),
                Arguments.of(Loss.MEAN_ABSOLUTE_ERROR, logits, regression),
                Arguments.of(Loss.BINARY_CROSSENTROPY, binProbs, bin),
                Arguments.of(Loss.BINARY_CROSSENTROPY_FROM_LOGITS, binLogits, bin),
                Arguments.of(Loss.CATEGORICAL_CROSSENTROPY, probs, onehot),
                Arguments.of(Loss.CATEGORICAL_CROSSENTROPY_FROM_LOGITS, logits, onehot),
                Arguments.of(Loss.SPARSE_CATEGORICAL_CROSSENTROPY, probs, sparse),
                Arguments.of(Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, logits, sparse));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losses")
    void lossGradientsMatchFiniteDifferences(Loss loss, Tensor pred, Tensor target) {
        Tensor t = target.to(DType.FLOAT64);
        Tensor w = Tensor.of(new double[] {0.5, 2, 1, 1, 3, 1}, 6).slice(0, 0, pred.shape(0));
        GradCheck.check(in -> loss.compute(in[0], t), pred);
        GradCheck.check(in -> loss.compute(in[0], t, w), pred);
    }
}
