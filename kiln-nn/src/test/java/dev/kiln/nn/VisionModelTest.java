package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.GradCheck;
import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.data.Dataset;
import dev.kiln.data.FashionMnist;
import dev.kiln.data.TrainTest;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.BatchNormalization;
import dev.kiln.nn.layers.CallContext;
import dev.kiln.nn.layers.Conv2D;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.layers.GlobalAveragePooling2D;
import dev.kiln.nn.layers.Layer;
import dev.kiln.nn.layers.MaxPooling2D;
import dev.kiln.nn.layers.Reshape;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tutorial CNN and the vision layers' behaviour beyond gradients: training, saving, statistics, errors. */
class VisionModelTest {

    /** The Keras tutorial CNN, with a Reshape in front because Fashion-MNIST samples are (28, 28). */
    static Sequential tutorialCnn() {
        return new Sequential(new Reshape(28, 28, 1),
                new Conv2D(32, 3, Activation.RELU), new MaxPooling2D(2),
                new Conv2D(64, 3, Activation.RELU), new MaxPooling2D(2),
                new Conv2D(64, 3, Activation.RELU),
                new Flatten(), new Dense(64, Activation.RELU), new Dense(10));
    }

    @Test
    void tutorialCnnHasKerasShapesAndParameterCount() {
        Sequential model = tutorialCnn();
        model.build(28, 28);
        assertThat(model.outputShape()).containsExactly(10);
        // Keras's summary of the same model: 320 + 18,496 + 36,928 + 36,928 + 650 = 93,322
        assertThat(model.parameterCount()).isEqualTo(93_322);
        assertThat(model.summary()).contains("(None, 26, 26, 32)", "(None, 3, 3, 64)", "Total params: 93,322", "Non-trainable params: 0");
    }

    @Test
    void tutorialCnnLearnsFromAFewHundredImagesAndSavesBitExactly(@TempDir Path dir) throws Exception {
        TrainTest data = FashionMnist.subset();
        Dataset train = data.train().slice(0, 600), test = data.test().slice(0, 300);
        Sequential model = tutorialCnn();
        model.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        History history = model.fit(train, new FitOptions(2, 32).withVerbose(false).withSeed(3));
        double[] loss = history.get("loss");
        assertThat(loss[1]).isLessThan(loss[0]);
        // 600 images, 2 epochs: a working CNN reaches about 0.5 (chance is 0.1; a broken gradient stays near it). The exact
        // figure moves by a few test images with last-bit rounding (0.503 with the composed loss, 0.500 with the fused one).
        assertThat(model.evaluate(test).get("accuracy")).isGreaterThan(0.4);

        Path file = dir.resolve("cnn.kiln");
        model.save(file);
        Model loaded = Model.load(file);
        Tensor x = test.slice(0, 50).features();
        assertThat(loaded.predict(x).toFloatArray()).isEqualTo(model.predict(x).toFloatArray());
        assertThat(loaded.summary()).isEqualTo(model.summary());
    }

    @Test
    void batchNormalizationSavesItsMovingStatisticsAndCountsThemAsNonTrainable(@TempDir Path dir) throws Exception {
        Sequential model = new Sequential(new Conv2D(4, 3, Activation.LINEAR), new BatchNormalization(), new GlobalAveragePooling2D(), new Dense(3));
        model.compile(new Adam(1e-2), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS);
        Rng rng = new Rng(4);
        Tensor x = Tensor.normal(rng, 2f, 3f, 16, 6, 6, 2);
        int[] labels = new int[16];
        for (int i = 0; i < labels.length; i++) labels[i] = i % 3;
        model.fit(new Dataset(x.toFloatArray(), new int[] {6, 6, 2}, labels, 3), new FitOptions(3, 8).withVerbose(false));
        float[] movingMean = model.buffers().get("batchnormalization_1.moving_mean").toFloatArray();
        assertThat(movingMean).as("moved away from its initial zeros").isNotEqualTo(new float[4]);
        assertThat(model.summary()).contains("Non-trainable params: 8", "Trainable params: " + model.parameterCount());

        Path file = dir.resolve("bn.kiln");
        model.save(file);
        Model loaded = Model.load(file);
        assertThat(loaded.buffers().get("batchnormalization_1.moving_mean").toFloatArray()).isEqualTo(movingMean);
        assertThat(loaded.predict(x).toFloatArray()).isEqualTo(model.predict(x).toFloatArray());
    }

    @Test
    void batchNormalizationWithMomentumZeroInfersWithTheBatchStatistics() {
        BatchNormalization bn = new BatchNormalization(new BatchNormalization.Config(null, 0.0, 1e-3, null, null));
        bn.nameIfUnset("bn");
        Tensor x = Tensor.normal(new Rng(2), 5f, 2f, 8, 3, 3, 4);
        Tensor training = bn.call(x, new CallContext(true, new Rng(0)));
        Tensor inference = bn.call(x, CallContext.inference());
        float[] a = training.toFloatArray(), b = inference.toFloatArray();
        for (int i = 0; i < a.length; i++) assertThat(b[i]).isCloseTo(a[i], org.assertj.core.data.Offset.offset(1e-4f));
        // Normalised per channel: mean 0 and unit variance (up to epsilon).
        for (float m : training.mean(new int[] {0, 1, 2}, false).toFloatArray()) assertThat(m).isCloseTo(0f, org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void batchNormalizationTrainingGradientsMatchFiniteDifferences() {
        BatchNormalization bn = new BatchNormalization();
        bn.nameIfUnset("bn");
        Rng rng = new Rng(6);
        bn.build(new int[] {2, 2, 3}, rng);
        List<String> names = new ArrayList<>(bn.parameters().keySet());
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(Tensor.normal(rng, 0, 1, 3, 2, 2, 3));
        for (String p : names) inputs.add(bn.parameters().get(p).add(Tensor.normal(rng, 0, 0.1f, 3)));
        GradCheck.check(in -> {
            for (int i = 0; i < names.size(); i++) bn.setParameter(names.get(i), in[i + 1]);
            return bn.call(in[0], new CallContext(true, new Rng(1)));
        }, GradCheck.Options.DEFAULT.withRtol(1e-4), inputs.toArray(Tensor[]::new));
    }

    @Test
    void convolutionOnRankTwoSamplesSaysToAddAChannelAxis() {
        Sequential model = new Sequential(new Conv2D(8, 3, Activation.RELU), new Flatten(), new Dense(10));
        assertThatThrownBy(() -> model.build(28, 28))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("conv2d_1")
                .hasMessageContaining("(batch, 28, 28)")
                .hasMessageContaining("Reshape([28, 28, 1])")
                .hasMessageContaining("input_shape [28, 28, 1]");
    }

    @Test
    void windowLargerThanTheImageAndBadReshapeAreClearErrors() {
        Layer conv = new Conv2D(4, 5, Activation.LINEAR);
        conv.nameIfUnset("conv");
        assertThatThrownBy(() -> conv.build(new int[] {3, 3, 1}, new Rng(1)))
                .hasMessageContaining("conv").hasMessageContaining("does not fit a 3x3 input").hasMessageContaining("padding same");
        Layer reshape = new Reshape(5, -1);
        reshape.nameIfUnset("reshape");
        assertThatThrownBy(() -> reshape.build(new int[] {28, 28}, new Rng(1)))
                .hasMessageContaining("(batch, 28, 28)").hasMessageContaining("784");
    }
}
