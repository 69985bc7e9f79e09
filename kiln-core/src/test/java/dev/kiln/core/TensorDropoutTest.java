package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * {@link Tensor#dropout}: the mask is the documented draw (one uniform per mask element, in order, kept below 1 − rate
 * and scaled by 1/(1 − rate)), its gradient is the same mask, a noise shape shares one draw over the broadcast axes,
 * float64 draws the same mask, and bad rates or noise shapes are refused with the reason.
 */
class TensorDropoutTest {
    /** The mask the contract describes, from its own generator with the same seed. */
    private static float[] expectedMask(long seed, double rate, int n) {
        Rng rng = new Rng(seed);
        float keep = (float) (1 - rate);
        float[] m = new float[n];
        for (int i = 0; i < n; i++) m[i] = rng.uniform() < keep ? 1f / keep : 0f;
        return m;
    }

    @Test
    void aDropoutMaskIsWhatDropoutMultipliesBy() {
        // recurrent dropout applies one mask at every step: x.mul(mask) has x.dropout's bits for the same draws
        Tensor x = Tensor.uniform(new Rng(1), -1, 1, 8, 50);
        Tensor mask = Tensor.dropoutMask(DType.FLOAT32, 0.3, new Rng(42), 8, 50);
        assertThat(mask.toFloatArray()).containsExactly(expectedMask(42, 0.3, 400));
        assertThat(x.mul(mask).toFloatArray()).containsExactly(x.dropout(0.3, new Rng(42)).toFloatArray());
        assertThat(Tensor.dropoutMask(DType.FLOAT64, 0.3, new Rng(42), 8, 50).dtype()).isEqualTo(DType.FLOAT64);
        assertThatThrownBy(() -> Tensor.dropoutMask(DType.FLOAT32, 1.0, new Rng(1), 2, 2)).hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> Tensor.dropoutMask(DType.FLOAT32, 0.5, new Rng(1), -1, 2)).hasMessageContaining("negative");
    }

    @Test
    void dropsWithTheDocumentedMaskAndBackpropagatesIt() {
        Tensor x = Tensor.uniform(new Rng(1), -1, 1, 8, 50).requiresGrad(true);
        Tensor y = x.dropout(0.3, new Rng(42));
        float[] mask = expectedMask(42, 0.3, 400), xs = x.toFloatArray(), ys = y.toFloatArray();
        int zeros = 0;
        for (int i = 0; i < 400; i++) {
            assertThat(ys[i]).as("element %d", i).isEqualTo(xs[i] * mask[i]);
            if (mask[i] == 0) zeros++;
        }
        assertThat(zeros).as("dropped of 400 at rate 0.3").isBetween(80, 160);
        Tensor w = Tensor.uniform(new Rng(2), -1, 1, 8, 50);
        y.mul(w).sum().backward();
        float[] g = x.grad().toFloatArray(), ws = w.toFloatArray();
        for (int i = 0; i < 400; i++) assertThat(g[i]).as("gradient %d", i).isEqualTo(ws[i] * mask[i]);
    }

    @Test
    void gradientMatchesFiniteDifferencesInDouble() {
        // A fresh generator per evaluation, so every evaluation draws the same mask; with and without a noise shape.
        Tensor x = Tensor.uniform(new Rng(5), -1, 1, 3, 4, 2);
        GradCheck.Result r = GradCheck.check(in -> in[0].dropout(0.4, new Rng(11)), x);
        assertThat(r.elementsChecked()).isEqualTo(24);
        GradCheck.check(in -> in[0].dropout(0.4, new Rng(11), 3, 1, 2), x);
    }

    @Test
    void aNoiseShapeDropsWholeSlices() {
        Tensor x = Tensor.uniform(new Rng(3), 0.5f, 1, 4, 3, 5, 6);   // no zeros of its own
        float[] y = x.dropout(0.5, new Rng(7), 4, 1, 1, 6).toFloatArray(), xs = x.toFloatArray();
        float[] mask = expectedMask(7, 0.5, 24);
        for (int b = 0; b < 4; b++) {
            for (int c = 0; c < 6; c++) {
                for (int h = 0; h < 3; h++) {
                    for (int w = 0; w < 5; w++) {
                        int i = ((b * 3 + h) * 5 + w) * 6 + c;
                        assertThat(y[i]).as("image %d channel %d at (%d, %d)", b, c, h, w).isEqualTo(xs[i] * mask[b * 6 + c]);
                    }
                }
            }
        }
    }

    @Test
    void float64DrawsTheSameMask() {
        Tensor x = Tensor.uniform(new Rng(1), -1, 1, 100).to(DType.FLOAT64);
        double[] d = x.dropout(0.25, new Rng(9)).toDoubleArray(), xs = x.toDoubleArray();
        float[] mask = expectedMask(9, 0.25, 100);
        for (int i = 0; i < 100; i++) assertThat(d[i]).as("element %d", i).isEqualTo(xs[i] * mask[i]);
    }

    @Test
    void rateZeroIsTheIdentityAndBadArgumentsSayWhy() {
        Tensor x = Tensor.uniform(new Rng(1), -1, 1, 2, 3);
        assertThat(x.dropout(0, new Rng(1))).isSameAs(x);
        assertThatThrownBy(() -> x.dropout(1.0, new Rng(1))).hasMessageContaining("[0, 1)").hasMessageContaining("1.0");
        assertThatThrownBy(() -> x.dropout(0.5, new Rng(1), 2, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(2, 2)").hasMessageContaining("(2, 3)");
        assertThatThrownBy(() -> x.dropout(0.5, new Rng(1), 1, 3, 1)).hasMessageContaining("each of its 2 axes");
    }
}
