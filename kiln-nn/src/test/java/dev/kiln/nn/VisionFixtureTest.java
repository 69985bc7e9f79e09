package dev.kiln.nn;

import static dev.kiln.nn.ReferenceFixtureTest.assertClose;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.AveragePooling2D;
import dev.kiln.nn.layers.BatchNormalization;
import dev.kiln.nn.layers.CallContext;
import dev.kiln.nn.layers.Conv2D;
import dev.kiln.nn.layers.Conv2DTranspose;
import dev.kiln.nn.layers.Layer;
import dev.kiln.nn.layers.MaxPooling2D;
import dev.kiln.nn.layers.Padding;
import dev.kiln.testkit.Fixture;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conv2D, pooling and BatchNormalization against PyTorch (tools/reference/make_fixtures.py, vision_fixtures):
 * the fixtures are already permuted to channels-last and Keras kernel layout.
 */
class VisionFixtureTest {

    private static void build(Layer layer, Fixture f) {
        layer.nameIfUnset("layer");
        int[] x = f.shape("x");
        layer.build(Arrays.copyOfRange(x, 1, x.length), new Rng(0));
    }

    private static void copy(Fixture f, String name, Tensor into) {
        System.arraycopy(f.data(name), 0, into.rawFloats(), 0, f.data(name).length);
    }

    @ParameterizedTest
    @ValueSource(strings = {"conv2d_relu_valid", "conv2d_same_stride2", "conv2d_depthwise_dilated"})
    void conv2dForwardAndGradientsMatchPyTorch(String name) {
        Fixture f = Fixture.load("reference/" + name + ".json");
        int stride = (int) f.meta("stride"), dilation = (int) f.meta("dilation");
        Conv2D conv = new Conv2D(new Conv2D.Config((int) f.meta("filters"), (int) f.meta("kernel_size"),
                f.metaString("relu").equals("true") ? Activation.RELU : Activation.LINEAR)
                .withStrides(stride, stride).withDilation(dilation, dilation).withGroups((int) f.meta("groups"))
                .withPadding(Padding.parse(f.metaString("padding"))));
        build(conv, f);
        copy(f, "kernel", conv.parameters().get("kernel"));
        copy(f, "bias", conv.parameters().get("bias"));
        Tensor x = f.tensor("x").requiresGrad(true);
        Tensor y = conv.call(x, CallContext.inference());
        assertClose("y", y, f.data("y"));
        y.mul(f.tensor("dy")).sum().backward();
        assertClose("dx", x.grad(), f.data("dx"));
        assertClose("dkernel", conv.parameters().get("kernel").grad(), f.data("dkernel"));
        assertClose("dbias", conv.parameters().get("bias").grad(), f.data("dbias"));
    }

    @Test
    void conv2dTransposeForwardAndGradientsMatchPyTorch() {
        Fixture f = Fixture.load("reference/conv2d_transpose_valid.json");
        Conv2DTranspose conv = new Conv2DTranspose(new Conv2DTranspose.Config((int) f.meta("filters"), (int) f.meta("kernel_size"),
                (int) f.meta("stride"), Padding.parse(f.metaString("padding")), Activation.LINEAR));
        build(conv, f);
        copy(f, "kernel", conv.parameters().get("kernel"));
        copy(f, "bias", conv.parameters().get("bias"));
        Tensor x = f.tensor("x").requiresGrad(true);
        Tensor y = conv.call(x, CallContext.inference());
        assertClose("y", y, f.data("y"));
        y.mul(f.tensor("dy")).sum().backward();
        assertClose("dx", x.grad(), f.data("dx"));
        assertClose("dkernel", conv.parameters().get("kernel").grad(), f.data("dkernel"));
        assertClose("dbias", conv.parameters().get("bias").grad(), f.data("dbias"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"maxpool_same", "avgpool_same"})
    void poolingForwardAndGradientsMatchPyTorch(String name) {
        Fixture f = Fixture.load("reference/" + name + ".json");
        int p = (int) f.meta("pool_size"), s = (int) f.meta("stride");
        var padding = Padding.parse(f.metaString("padding"));
        Layer pool = name.startsWith("max")
                ? new MaxPooling2D(new MaxPooling2D.Config(null, new int[] {p}, new int[] {s}, padding))
                : new AveragePooling2D(new AveragePooling2D.Config(null, new int[] {p}, new int[] {s}, padding));
        build(pool, f);
        Tensor x = f.tensor("x").requiresGrad(true);
        Tensor y = pool.call(x, CallContext.inference());
        assertClose("y", y, f.data("y"));
        y.mul(f.tensor("dy")).sum().backward();
        assertClose("dx", x.grad(), f.data("dx"));
    }

    @Test
    void batchNormalizationTrainingStepStatisticsAndInferenceMatchPyTorch() {
        Fixture f = Fixture.load("reference/batchnorm.json");
        BatchNormalization bn = new BatchNormalization(new BatchNormalization.Config(null, f.meta("momentum"), f.meta("epsilon"), null, null));
        build(bn, f);
        copy(f, "gamma", bn.parameters().get("gamma"));
        copy(f, "beta", bn.parameters().get("beta"));
        Tensor x = f.tensor("x").requiresGrad(true);
        Tensor y = bn.call(x, new CallContext(true, new Rng(0)));
        assertClose("y", y, f.data("y"));
        y.mul(f.tensor("dy")).sum().backward();
        assertClose("dx", x.grad(), f.data("dx"));
        assertClose("dgamma", bn.parameters().get("gamma").grad(), f.data("dgamma"));
        assertClose("dbeta", bn.parameters().get("beta").grad(), f.data("dbeta"));
        assertClose("moving_mean", bn.buffers().get("moving_mean"), f.data("moving_mean"));
        assertClose("moving_variance", bn.buffers().get("moving_variance"), f.data("moving_variance"));
        assertClose("y_inference", bn.call(f.tensor("x"), CallContext.inference()), f.data("y_inference"));
    }
}
