package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.core.DType;
import dev.kiln.core.GradCheck;
import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.data.Dataset;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Keras's rule for {@code from_logits=False}: a cross-entropy on probabilities that a softmax (last axis) or a
 * sigmoid has just made is computed from their logits, so the Keras tutorial's {@code Dense(10, softmax)} with
 * {@code sparse_categorical_crossentropy} trains exactly as {@code Dense(10)} with the from-logits loss.
 */
class LossOnActivatedOutputsTest {

    private static Tensor[] lossAndGrad(Loss loss, Tensor z, Function<Tensor, Tensor> activate, Tensor target) {
        Tensor leaf = Tensor.of(z.toFloatArray(), z.shape()).requiresGrad(true);
        Tensor l = loss.compute(activate.apply(leaf), target);
        l.backward();
        return new Tensor[] {l, leaf.grad()};
    }

    @Test
    void probabilityLossesOnActivatedOutputsAreTheFromLogitsLossesBitForBit() {
        Rng rng = new Rng(3);
        Tensor z = Tensor.normal(rng, 0, 3, 6, 5);
        Tensor ids = Tensor.of(new float[] {0, 4, 2, 2, 1, 3}, 6);
        Tensor onehot = Tensor.zeros(6, 5);
        for (int i = 0; i < 6; i++) onehot.rawFloats()[i * 5 + (int) ids.toFloatArray()[i]] = 1;
        Tensor zb = Tensor.normal(rng, 0, 3, 6, 1);
        Tensor bin = Tensor.of(new float[] {1, 0, 0, 1, 1, 0}, 6, 1);

        record Case(Loss probs, Loss logits, Function<Tensor, Tensor> activate, Tensor z, Tensor target) {}
        for (Case c : new Case[] {
                new Case(Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, t -> t.softmax(-1), z, ids),
                new Case(Loss.CATEGORICAL_CROSSENTROPY, Loss.CATEGORICAL_CROSSENTROPY_FROM_LOGITS, t -> t.softmax(-1), z, onehot),
                new Case(Loss.BINARY_CROSSENTROPY, Loss.BINARY_CROSSENTROPY_FROM_LOGITS, Tensor::sigmoid, zb, bin)}) {
            Tensor[] viaProbs = lossAndGrad(c.probs(), c.z(), c.activate(), c.target());
            Tensor[] viaLogits = lossAndGrad(c.logits(), c.z(), t -> t, c.target());
            assertThat(viaProbs[0].item()).as(c.probs().keras()).isEqualTo(viaLogits[0].item());
            assertThat(viaProbs[1].toFloatArray()).as(c.probs().keras() + " gradient").containsExactly(viaLogits[1].toFloatArray());
        }
    }

    @Test
    void theFusedBinaryLossFromLogitsIsTheComposedFormula() {
        Rng rng = new Rng(21);
        for (int[] shape : new int[][] {{7}, {6, 3}}) {
            Tensor z = Tensor.normal(rng, 0, 4, shape).requiresGrad(true);
            Tensor t = Tensor.uniform(rng, 0, 1, shape);
            Tensor w = Tensor.uniform(rng, 0.5f, 2, shape[0]);
            Tensor fused = Loss.BINARY_CROSSENTROPY_FROM_LOGITS.compute(z, t, w);
            fused.backward();
            float[] dFused = z.grad().toFloatArray();
            z.zeroGrad();
            // the same loss written out from primitives: max(z, 0) − z·t + log(1 + e^−|z|), mean over features, weighted
            Tensor terms = z.maximum(z.scalarLike(0)).sub(z.mul(t)).add(z.abs().neg().exp().add(1f).log());
            Tensor perSample = shape.length == 1 ? terms : terms.mean(1, false);
            Tensor composed = perSample.mul(w).mean();
            composed.backward();
            assertThat(fused.item()).as("loss %s", java.util.Arrays.toString(shape)).isCloseTo(composed.item(), within(1e-5f));
            assertThat(dFused).as("gradient").usingComparatorWithPrecision(1e-6f).containsExactly(z.grad().toFloatArray());
        }
    }

    @Test
    void aConfidentMistakeCostsItsTrueLossNotTheClippedOne() {
        Tensor z = Tensor.of(new float[] {30, 0, 0}, 1, 3).requiresGrad(true);
        Tensor label = Tensor.of(new float[] {1}, 1);
        Tensor viaLogits = Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(z.softmax(-1), label);
        assertThat((double) viaLogits.item()).isCloseTo(30 + Math.log1p(2 * Math.exp(-30)), within(1e-4));
        viaLogits.backward();
        assertThat(z.grad().toFloatArray()[1]).as("still a gradient where clipping would give none").isCloseTo(-1f, within(1e-6f));

        // the same probabilities as a plain tensor: no logits to read, so Keras's clip to [1e-7, 1 − 1e-7]
        Tensor copied = Tensor.of(z.softmax(-1).toFloatArray(), 1, 3);
        assertThat((double) Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(copied, label).item()).isCloseTo(-Math.log(1e-7), within(1e-3));
    }

    @Test
    void gradientsThroughTheSoftmaxMatchFiniteDifferences() {
        Tensor z = Tensor.normal(new Rng(9), 0, 2, 4, 5).to(DType.FLOAT64);
        Tensor ids = Tensor.of(new double[] {1, 0, 4, 2}, 4);
        Tensor w = Tensor.of(new double[] {0.5, 2, 1, 3}, 4);
        GradCheck.check(in -> Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(in[0].softmax(-1), ids), z);
        GradCheck.check(in -> Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(in[0].softmax(-1), ids, w), z);
        Tensor seq = Tensor.normal(new Rng(10), 0, 2, 2, 3, 4).to(DType.FLOAT64);
        GradCheck.check(in -> Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(in[0].softmax(-1), new int[] {0, 3, 1, 2, 2, 0}, null), seq);
    }

    @Test
    void aSequencesClassIdsGiveTheFromLogitsMeanPerSample() {
        Tensor z = Tensor.normal(new Rng(4), 0, 2, 2, 3, 4);
        int[] ids = {0, 3, 1, 2, 2, 0};
        float viaProbs = Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(z.softmax(-1), ids, null).item();
        float viaLogits = Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS.compute(z, ids, null).item();
        assertThat(viaProbs).isEqualTo(viaLogits);
    }

    @Test
    void aBadLabelIsNamedUnderTheLossTheUserChose() {
        Tensor p = Tensor.normal(new Rng(1), 0, 1, 2, 3).softmax(-1);
        assertThatThrownBy(() -> Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(p, Tensor.of(new float[] {0, 7}, 2)))
                .hasMessageStartingWith("sparse_categorical_crossentropy: label 7.0 at position 1 is not a class id in [0, 3)");
        assertThatThrownBy(() -> Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(p, new int[] {0, 3}, null))
                .hasMessageStartingWith("sparse_categorical_crossentropy: label 3 at position 1");
        assertThatThrownBy(() -> Loss.CATEGORICAL_CROSSENTROPY.compute(p, Tensor.zeros(2, 4)))
                .hasMessageStartingWith("categorical_crossentropy: predictions have shape (2, 3) but targets have (2, 4)");
    }

    @Test
    void theTutorialSoftmaxHeadTrainsExactlyAsTheLogitsHead() {
        Rng rng = new Rng(12);
        int n = 96;
        float[] x = new float[n * 2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = (float) rng.uniform(-1, 1);
            x[2 * i + 1] = (float) rng.uniform(-1, 1);
            y[i] = x[2 * i] > 0.3f ? 2 : x[2 * i + 1] > 0 ? 1 : 0;   // three regions of the plane
        }
        Dataset data = new Dataset(x, new int[] {2}, y, 3);
        Sequential probs = new Sequential(new Dense(16, Activation.RELU), new Dense(3, Activation.SOFTMAX));
        Sequential logits = new Sequential(new Dense(16, Activation.RELU), new Dense(3));
        probs.compile(new Adam(1e-2), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        logits.compile(new Adam(1e-2), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
        FitOptions options = new FitOptions(3, 8).withSeed(7).withVerbose(false);
        History hp = probs.fit(data, options);
        History hl = logits.fit(data, options);
        assertThat(hp.get("loss")).containsExactly(hl.get("loss"));
        assertThat(hp.get("accuracy")).containsExactly(hl.get("accuracy"));
        assertThat(probs.evaluate(data).get("loss")).isEqualTo(logits.evaluate(data).get("loss"));
    }
}
