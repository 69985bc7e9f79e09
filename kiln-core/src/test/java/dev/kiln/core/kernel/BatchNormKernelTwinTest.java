package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link BatchNormKernels} against their double twins, on shapes with ragged blocks (rows not a multiple of
 * {@link BatchNormKernels#ROWS}) and ragged vectors (columns not a multiple of the vector length), on data far from zero
 * (mean 50) so the centred variance is what is tested.
 */
class BatchNormKernelTwinTest {
    @ParameterizedTest(name = "rows={0} cols={1}")
    @CsvSource({"1, 1", "7, 3", "700, 32", "1000, 37", "43264, 32", "300, 100", "500, 16", "513, 64", "260, 48", "90, 80"})
    void everyPassMatchesItsTwin(int rows, int cols) {
        Rng rng = new Rng(rows * 31L + cols);
        float[] x = KernelTwinTest.random(rng, 5 + rows * cols, 49, 51), dy = KernelTwinTest.random(rng, 3 + rows * cols, -1, 1);
        float[] mean = new float[cols], var = new float[cols];
        BatchNormKernels.moments(x, 5, rows, cols, mean, var);
        double[] meanD = new double[cols], varD = new double[cols];
        BatchNormKernels.momentsScalar(Buf.of(KernelTwinTest.widen(x)), 5, rows, cols, Buf.of(meanD), Buf.of(varD));
        for (int j = 0; j < cols; j++) {
            assertThat((double) mean[j]).as("mean %d", j).isCloseTo(meanD[j], org.assertj.core.data.Offset.offset(1e-5 * 50));
            assertThat((double) var[j]).as("variance %d", j).isCloseTo(varD[j], org.assertj.core.data.Offset.offset(2e-3 * varD[j] + 1e-7));
        }

        float[] rstd = new float[cols], scale = KernelTwinTest.random(rng, cols, 0.5, 2), shift = KernelTwinTest.random(rng, cols, -1, 1);
        for (int j = 0; j < cols; j++) rstd[j] = (float) (1 / Math.sqrt(var[j] + 1e-3));
        float[] y = new float[2 + rows * cols];
        BatchNormKernels.normalize(x, 5, rows, cols, mean, scale, shift, y, 2);
        double[] yD = new double[2 + rows * cols];
        BatchNormKernels.normalizeScalar(Buf.of(KernelTwinTest.widen(x)), 5, rows, cols, Buf.of(KernelTwinTest.widen(mean)),
                Buf.of(KernelTwinTest.widen(scale)), Buf.of(KernelTwinTest.widen(shift)), Buf.of(yD), 2);
        for (int i = 2; i < y.length; i++) assertThat((double) y[i]).as("y %d", i).isCloseTo(yD[i], org.assertj.core.data.Offset.offset(1e-4));

        float[] sd = new float[cols], sdx = new float[cols];
        BatchNormKernels.backwardSums(x, 5, dy, 3, rows, cols, mean, rstd, sd, sdx);
        double[] sdD = new double[cols], sdxD = new double[cols];
        BatchNormKernels.backwardSumsScalar(Buf.of(KernelTwinTest.widen(x)), 5, Buf.of(KernelTwinTest.widen(dy)), 3, rows, cols,
                Buf.of(KernelTwinTest.widen(mean)), Buf.of(KernelTwinTest.widen(rstd)), Buf.of(sdD), Buf.of(sdxD));
        double tol = 1e-5 * Math.sqrt(rows) + 1e-6;
        for (int j = 0; j < cols; j++) {
            assertThat((double) sd[j]).as("sum dy %d", j).isCloseTo(sdD[j], org.assertj.core.data.Offset.offset(tol));
            assertThat((double) sdx[j]).as("sum dy·x̂ %d", j).isCloseTo(sdxD[j], org.assertj.core.data.Offset.offset(tol * 4));
        }

        float[] kqs = KernelTwinTest.random(rng, 3 * cols, -1, 1), dx = new float[rows * cols + 1];
        BatchNormKernels.backwardInput(x, 5, dy, 3, rows, cols, mean, rstd, kqs, dx, 1);
        double[] dxD = new double[rows * cols + 1];
        BatchNormKernels.backwardInputScalar(Buf.of(KernelTwinTest.widen(x)), 5, Buf.of(KernelTwinTest.widen(dy)), 3, rows, cols,
                Buf.of(KernelTwinTest.widen(mean)), Buf.of(KernelTwinTest.widen(rstd)), Buf.of(KernelTwinTest.widen(kqs)), Buf.of(dxD), 1);
        for (int i = 1; i < dx.length; i++) assertThat((double) dx[i]).as("dx %d", i).isCloseTo(dxD[i], org.assertj.core.data.Offset.offset(1e-4));
    }
}
