package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link BatchNorm}: its gradient against finite differences in double (with and without gamma and beta), and in float32
 * its output, statistics and gradients against the same normalisation composed from primitive ops. With a ReLU inside
 * the op: finite differences again, and the same bits as the op followed by a separate {@code relu()}.
 */
class BatchNormOpTest {
    @Test
    void gradientMatchesFiniteDifferencesInDouble() {
        Rng rng = new Rng(1);
        Tensor x = Tensor.uniform(rng, -2, 3, 4, 3, 5), gamma = Tensor.uniform(rng, 0.5f, 2, 5), beta = Tensor.uniform(rng, -1, 1, 5);
        float[] m = new float[5], v = new float[5];
        GradCheck.Result r = GradCheck.check(in -> BatchNorm.train(in[0], in[1], in[2], 1e-3, m, v), x, gamma, beta);
        assertThat(r.elementsChecked()).isEqualTo(60 + 5 + 5);
        GradCheck.check(in -> BatchNorm.train(in[0], null, null, 1e-3, m, v), x);
        GradCheck.check(in -> BatchNorm.train(in[0], in[1], null, 1e-3, m, v), x, gamma);
    }

    @Test
    void withReluTheGradientMatchesFiniteDifferencesInDouble() {
        Rng rng = new Rng(4);
        // Shifts around zero put about half the normalised values under the ReLU; none lands within the step of zero.
        Tensor x = Tensor.uniform(rng, -2, 3, 4, 3, 5), gamma = Tensor.uniform(rng, 0.5f, 2, 5), beta = Tensor.uniform(rng, -0.5f, 0.5f, 5);
        float[] m = new float[5], v = new float[5];
        GradCheck.Result r = GradCheck.check(in -> BatchNorm.train(in[0], in[1], in[2], 1e-3, m, v, true), x, gamma, beta);
        assertThat(r.elementsChecked()).isEqualTo(60 + 5 + 5);
        GradCheck.check(in -> BatchNorm.train(in[0], null, null, 1e-3, m, v, true), x);
        Tensor y = BatchNorm.train(x.to(DType.FLOAT64), gamma.to(DType.FLOAT64), beta.to(DType.FLOAT64), 1e-3, m, v, true);
        long zeros = java.util.Arrays.stream(y.toDoubleArray()).filter(d -> d == 0).count();
        assertThat(zeros).as("values the ReLU clamped").isBetween(10L, 50L);
    }

    /** (rows, channels): ragged blocks and a ragged vector tail; 32 channels take the column sums' in-register path. */
    @ParameterizedTest(name = "{0}x{1}x{2}")
    @CsvSource({"20, 35, 37", "3, 100, 32", "2, 9, 64", "1, 3, 5"})
    void withReluFloat32IsTheOpThenReluBitForBit(int a, int b, int c) {
        Rng rng = new Rng(a * 100 + c);
        Tensor x0 = Tensor.uniform(rng, 5, 9, a, b, c), w = Tensor.uniform(rng, -1, 1, a, b, c);
        Tensor g0 = Tensor.uniform(rng, 0.5f, 2, c), b0 = Tensor.uniform(rng, -1, 1, c);
        float[][] fused = reluRun(x0, g0, b0, w, true), separate = reluRun(x0, g0, b0, w, false);
        String[] what = {"y", "batch mean", "batch variance", "dx", "dgamma", "dbeta"};
        for (int k = 0; k < what.length; k++) assertThat(fused[k]).as(what[k]).isEqualTo(separate[k]);
        long clamped = 0;
        for (float f : fused[0]) if (f == 0) clamped++;
        assertThat(clamped).as("values the ReLU clamped").isGreaterThan(0).isLessThan(fused[0].length);

        // Inference: the one pass with the ReLU, and the composed form that keeps gradients, against inference().relu().
        Tensor mean = Tensor.uniform(rng, 6, 8, c), var = Tensor.uniform(rng, 0.5f, 2, c);
        Tensor want = BatchNorm.inference(x0, g0, b0, mean, var, 1e-3).relu();
        assertThat(BatchNorm.inference(x0, g0, b0, mean, var, 1e-3, true).toFloatArray()).as("inference").isEqualTo(want.toFloatArray());
        Tensor xg = x0.copy().requiresGrad(true);
        Tensor composed = BatchNorm.inference(xg, g0, b0, mean, var, 1e-3, true);
        Tensor composedWant = BatchNorm.inference(x0.copy().requiresGrad(true), g0, b0, mean, var, 1e-3).relu();
        assertThat(composed.toFloatArray()).as("inference, composed").isEqualTo(composedWant.toFloatArray());
        composed.sum().backward();
        float[] gx = xg.grad().toFloatArray(), wf = composed.toFloatArray();
        for (int i = 0; i < gx.length; i++) if (wf[i] == 0) assertThat(gx[i]).as("no gradient through a clamped value, %d", i).isZero();
    }

    /** y, batch mean and variance, dx, dgamma, dbeta of sum(relu(bn(x))·w), the ReLU inside the op or after it. */
    private static float[][] reluRun(Tensor x0, Tensor g0, Tensor b0, Tensor w, boolean fused) {
        Tensor x = x0.copy().requiresGrad(true), gamma = g0.copy().requiresGrad(true), beta = b0.copy().requiresGrad(true);
        int c = x0.shape(-1);
        float[] mean = new float[c], var = new float[c];
        Tensor y = fused ? BatchNorm.train(x, gamma, beta, 1e-3, mean, var, true) : BatchNorm.train(x, gamma, beta, 1e-3, mean, var).relu();
        y.mul(w).sum().backward();
        return new float[][] {y.toFloatArray(), mean, var, x.grad().toFloatArray(), gamma.grad().toFloatArray(), beta.grad().toFloatArray()};
    }

    @Test
    void float32MatchesTheComposedForm() {
        Rng rng = new Rng(2);
        // 700 rows: more than one block of the kernels' column sums; 37 channels: a ragged vector tail.
        Tensor x = Tensor.uniform(rng, 5, 9, 20, 35, 37).requiresGrad(true);
        Tensor gamma = Tensor.uniform(rng, 0.5f, 2, 37).requiresGrad(true), beta = Tensor.uniform(rng, -1, 1, 37).requiresGrad(true);
        Tensor w = Tensor.uniform(rng, -1, 1, 20, 35, 37);
        float[] mean = new float[37], var = new float[37];
        Tensor y = BatchNorm.train(x, gamma, beta, 1e-3, mean, var);
        y.mul(w).sum().backward();
        float[] gx = x.grad().toFloatArray(), gg = gamma.grad().toFloatArray(), gb = beta.grad().toFloatArray();
        x.zeroGrad();
        gamma.zeroGrad();
        beta.zeroGrad();

        int[] axes = {0, 1};
        Tensor mu = x.mean(axes, false), centered = x.sub(mu), sigma2 = centered.square().mean(axes, false);
        Tensor want = centered.div(sigma2.add(1e-3f).sqrt()).mul(gamma).add(beta);
        want.mul(w).sum().backward();
        close(y.toFloatArray(), want.toFloatArray(), 1e-4, "y");
        close(mean, mu.toFloatArray(), 1e-5, "batch mean");
        close(var, sigma2.toFloatArray(), 1e-4, "batch variance");
        close(gx, x.grad().toFloatArray(), 1e-3, "dx");
        close(gg, gamma.grad().toFloatArray(), 1e-2, "dgamma");
        close(gb, beta.grad().toFloatArray(), 1e-3, "dbeta");
    }

    @Test
    void inferenceInOnePassMatchesTheComposedFormWhichKeepsGradients() {
        Rng rng = new Rng(3);
        Tensor x = Tensor.uniform(rng, 5, 9, 6, 7, 7, 19), gamma = Tensor.uniform(rng, 0.5f, 2, 19), beta = Tensor.uniform(rng, -1, 1, 19);
        Tensor mean = Tensor.uniform(rng, 6, 8, 19), var = Tensor.uniform(rng, 0.5f, 2, 19);
        Tensor fused = BatchNorm.inference(x, gamma, beta, mean, var, 1e-3);
        Tensor xg = x.copy().requiresGrad(true);
        Tensor composed = BatchNorm.inference(xg, gamma, beta, mean, var, 1e-3);   // x wants a gradient: the composed form
        close(fused.toFloatArray(), composed.toFloatArray(), 1e-5, "inference y");
        composed.sum().backward();
        float[] g = xg.grad().toFloatArray(), gm = gamma.toFloatArray(), v = var.toFloatArray();
        for (int i = 0; i < g.length; i++) {
            int j = i % 19;
            assertThat((double) g[i]).as("dy/dx at %d", i).isCloseTo(gm[j] / Math.sqrt(v[j] + 1e-3), org.assertj.core.data.Offset.offset(1e-5));
        }
        Tensor plain = BatchNorm.inference(x, null, null, mean, var, 1e-3);
        float[] p = plain.toFloatArray(), xs = x.toFloatArray(), ms = mean.toFloatArray();
        for (int i = 0; i < p.length; i++) {
            int j = i % 19;
            assertThat((double) p[i]).as("no gamma, no beta at %d", i).isCloseTo((xs[i] - ms[j]) / Math.sqrt(v[j] + 1e-3), org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void badShapesSayWhat() {
        float[] s = new float[4];
        assertThatThrownBy(() -> BatchNorm.train(Tensor.zeros(2, 4), Tensor.ones(3), null, 1e-3, s, s))
                .hasMessageContaining("(2, 4)").hasMessageContaining("(3,)");
        assertThatThrownBy(() -> BatchNorm.train(Tensor.zeros(0, 4), null, null, 1e-3, s, s)).hasMessageContaining("empty batch");
    }

    private static void close(float[] a, float[] b, double tol, String what) {
        assertThat(a).as(what).hasSameSizeAs(b);
        for (int i = 0; i < a.length; i++) {
            assertThat(Math.abs(a[i] - b[i])).as("%s at %d: %s vs %s", what, i, a[i], b[i]).isLessThanOrEqualTo((float) (tol * (1 + Math.abs(b[i]))));
        }
    }
}
