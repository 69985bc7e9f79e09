package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.GradCheck;
import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.data.Dataset;
import dev.kiln.data.FashionMnist;
import dev.kiln.data.TrainTest;
import dev.kiln.nn.io.ModelFileException;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.ActivationLayer;
import dev.kiln.nn.layers.Add;
import dev.kiln.nn.layers.BatchNormalization;
import dev.kiln.nn.layers.CallContext;
import dev.kiln.nn.layers.Concatenate;
import dev.kiln.nn.layers.Conv2D;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.GlobalAveragePooling2D;
import dev.kiln.nn.layers.MaxPooling2D;
import dev.kiln.nn.layers.Padding;
import dev.kiln.nn.layers.Reshape;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The functional API: residual and concatenated branches, shared layers, saving, and the merge layers' gradients. */
class FunctionalModelTest {

    /**
     * A small ResNet (He et al. 2016): stem, one residual block with BatchNorm, a concatenated side branch, global
     * pooling. BatchNorm momentum 0.9 rather than Keras's 0.99 so that the moving statistics settle within the
     * test's 32 steps (with 0.99, inference would still use mostly the initial statistics).
     */
    static Functional smallResNet() {
        Node in = Node.input(28, 28);
        Node x = in.then(new Reshape(28, 28, 1))
                .then(new Conv2D(new Conv2D.Config(8, 3, Activation.LINEAR).withPadding(Padding.SAME)))
                .then(new BatchNormalization(new BatchNormalization.Config(null, 0.9, null, null, null)))
                .then(new ActivationLayer(Activation.RELU)).then(new MaxPooling2D(2));                                    // (14, 14, 8)
        Node y = x.then(new Conv2D(new Conv2D.Config(8, 3, Activation.RELU).withPadding(Padding.SAME)))
                .then(new Conv2D(new Conv2D.Config(8, 3, Activation.LINEAR).withPadding(Padding.SAME)))
                .then(new BatchNormalization(new BatchNormalization.Config(null, 0.9, null, null, null)));
        Node h = Node.merge(new Add(), x, y).then(new ActivationLayer(Activation.RELU)).then(new MaxPooling2D(2));   // (7, 7, 8)
        Node side = h.then(new Conv2D(new Conv2D.Config(4, 1, Activation.RELU)));                                  // (7, 7, 4)
        Node out = Node.merge(new Concatenate(), h, side)                                                           // (7, 7, 12)
                .then(new GlobalAveragePooling2D()).then(new Dense(10));
        return new Functional(in, out);
    }

    @Test
    void smallResNetTrainsSavesAndLoadsBitExactly(@TempDir Path dir) throws Exception {
        TrainTest data = FashionMnist.subset();
        Dataset train = data.train().slice(0, 512), test = data.test().slice(0, 256);
        Functional model = smallResNet();
        model.compile(new Adam(1e-2), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        History history = model.fit(train, new FitOptions(2, 32).withVerbose(false).withSeed(5));
        assertThat(history.get("loss")[1]).isLessThan(history.get("loss")[0]);
        // 512 images, 2 epochs of a tiny global-pooling net: it has only begun to learn (its loss starts at ln 10 = 2.30),
        // but with inference-mode BatchNorm it must already beat chance; a broken gradient or moving statistic does not.
        var result = model.evaluate(test);
        assertThat(result.get("loss")).isLessThan(2.2);
        assertThat(result.get("accuracy")).isGreaterThan(0.15);
        assertThat(model.outputShape()).containsExactly(10);
        assertThat(model.summary()).contains("add_1 (Add)", "(None, 28, 28, 8)", "concatenate_1 (Concatenate)", "(None, 7, 7, 12)",
                "Non-trainable params: 32");

        Path file = dir.resolve("resnet.kiln");
        model.save(file);
        Model loaded = Model.load(file);
        assertThat(loaded).isInstanceOf(Functional.class);
        Tensor x = test.slice(0, 40).features();
        assertThat(loaded.predict(x).toFloatArray()).isEqualTo(model.predict(x).toFloatArray());
        assertThat(loaded.summary()).isEqualTo(model.summary());
    }

    @Test
    void aSharedLayerHasOneSetOfWeightsAndGetsGradientsFromEveryUse() {
        Dense shared = new Dense(3);
        Node in = Node.input(3);
        Node a = in.then(shared);
        Node b = a.then(shared);
        Functional model = new Functional(in, Node.merge(new Add(), a, b));
        model.build(3);
        assertThat(model.layers()).hasSize(2);
        assertThat(model.parameterCount()).isEqualTo(12);
        Tensor x = Tensor.normal(new Rng(1), 0, 1, 2, 3);
        Tensor kernel = shared.parameters().get("kernel"), bias = shared.parameters().get("bias");
        Tensor y = model.call(x, CallContext.inference());
        Tensor expected = x.matmul(kernel).add(bias);
        expected = expected.add(expected.matmul(kernel).add(bias));
        assertThat(y.toFloatArray()).isEqualTo(expected.toFloatArray());
    }

    @Test
    void mergeLayerGradientsMatchFiniteDifferences() {
        Add add = new Add();
        add.nameIfUnset("add");
        Concatenate concat = new Concatenate();
        concat.nameIfUnset("concat");
        Concatenate concat1 = new Concatenate(new Concatenate.Config("concat1", 1));
        CallContext ctx = CallContext.inference();
        Rng rng = new Rng(3);
        Tensor a = Tensor.normal(rng, 0, 1, 2, 3, 4), b = Tensor.normal(rng, 0, 1, 2, 3, 4), c = Tensor.normal(rng, 0, 1, 2, 3, 2);
        GradCheck.check(in -> add.call(List.of(in[0], in[1], in[0]), ctx), a, b);
        GradCheck.check(in -> concat.call(List.of(in[0], in[1]), ctx), a, c);
        GradCheck.check(in -> concat1.call(List.of(in[0], in[1]), ctx), a, b);
    }

    @Test
    void mismatchedBranchesNameTheLayerAndShapes() {
        Node in = Node.input(8, 8, 2);
        Node a = in.then(new Conv2D(4, 3, Activation.RELU));
        Node b = in.then(new Conv2D(4, 1, Activation.RELU));
        Functional model = new Functional(in, Node.merge(new Add(), a, b));
        assertThatThrownBy(() -> model.build(8, 8, 2))
                .hasMessageContaining("add_1").hasMessageContaining("(batch, 6, 6, 4)").hasMessageContaining("(batch, 8, 8, 4)")
                .hasMessageContaining("1x1 Conv2D");
        assertThatThrownBy(() -> new Functional(in, Node.input(3))).hasMessageContaining("second Node.input");
    }

    @Test
    void aDamagedGraphInTheFileIsRefused(@TempDir Path dir) throws Exception {
        Node in = Node.input(4);
        Functional model = new Functional(in, Node.merge(new Add(), in.then(new Dense(4)), in));
        model.build(4);
        Path file = dir.resolve("m.kiln");
        model.save(file);
        byte[] bytes = Files.readAllBytes(file);
        String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
        String good = "\\\"inputs\\\":[1,0]";
        assertThat(text).contains(good);
        Files.write(file, text.replace(good, "\\\"inputs\\\":[2,0]").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> Model.load(file)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("Functional graph is invalid").hasMessageContaining("refers to node 2");
    }
}
