package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link BatchNormKernels} against their double twins, on shapes with ragged blocks (rows not a multiple of
 * {@link BatchNormKernels#ROWS}) and ragged vectors (columns not a multiple of the vector length), on data far from zero
 * (mean 50) so the centred variance is what is tested. Each pass also with a ReLU after the normalisation: about half
 * the values fall below zero there, so the gate is tested both ways.
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
            assertThat((double) var[j]).as("variance %d", j).isCloseTo(varD[j], org.assertj.core.data.Offset.offset(1e-4 * varD[j] + 1e-7));
        }

        float[] rstd = new float[cols], scale = KernelTwinTest.random(rng, cols, 0.5, 2), shift = KernelTwinTest.random(rng, cols, -1, 1);
        for (int j = 0; j < cols; j++) rstd[j] = (float) (1 / Math.sqrt(var[j] + 1e-3));
        float[] kqs = KernelTwinTest.random(rng, 3 * cols, -1, 1);
        // Where the normalised value is within rounding of zero the float and double gates may disagree: move those
        // inputs clear of it (the passes below take the mean as given, so it need not be recomputed).
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                int i = 5 + r * cols + j;
                if (Math.abs(((double) x[i] - mean[j]) * scale[j] + shift[j]) < 1e-3) x[i] += (float) (3e-3 / scale[j]);
            }
        }
        for (boolean relu : new boolean[] {false, true}) {
            float[] y = new float[2 + rows * cols];
            BatchNormKernels.normalize(x, 5, rows, cols, mean, scale, shift, relu, y, 2);
            double[] yD = new double[2 + rows * cols];
            BatchNormKernels.normalizeScalar(Buf.of(KernelTwinTest.widen(x)), 5, rows, cols, Buf.of(KernelTwinTest.widen(mean)),
                    Buf.of(KernelTwinTest.widen(scale)), Buf.of(KernelTwinTest.widen(shift)), relu, Buf.of(yD), 2);
            int clamped = 0;
            for (int i = 2; i < y.length; i++) {
                assertThat((double) y[i]).as("y %d, relu %s", i, relu).isCloseTo(yD[i], org.assertj.core.data.Offset.offset(1e-4));
                if (y[i] == 0) clamped++;
            }
            if (relu && rows * cols >= 100) assertThat(clamped).as("values the ReLU clamped").isBetween(rows * cols / 5, rows * cols * 4 / 5);

            // The twins' gate and the kernel's agree except where the normalised value is within rounding of zero.
            float[] reluScale = relu ? scale : null, reluShift = relu ? shift : null;
            Buf reluScaleD = relu ? Buf.of(KernelTwinTest.widen(scale)) : null, reluShiftD = relu ? Buf.of(KernelTwinTest.widen(shift)) : null;
            float[] sd = new float[cols], sdx = new float[cols];
            BatchNormKernels.backwardSums(x, 5, dy, 3, rows, cols, mean, rstd, reluScale, reluShift, sd, sdx);
            double[] sdD = new double[cols], sdxD = new double[cols];
            BatchNormKernels.backwardSumsScalar(Buf.of(KernelTwinTest.widen(x)), 5, Buf.of(KernelTwinTest.widen(dy)), 3, rows, cols,
                    Buf.of(KernelTwinTest.widen(mean)), Buf.of(KernelTwinTest.widen(rstd)), reluScaleD, reluShiftD, Buf.of(sdD), Buf.of(sdxD));
            double tol = 1e-5 * Math.sqrt(rows) + 1e-6;
            for (int j = 0; j < cols; j++) {
                assertThat((double) sd[j]).as("sum dy %d, relu %s", j, relu).isCloseTo(sdD[j], org.assertj.core.data.Offset.offset(tol));
                assertThat((double) sdx[j]).as("sum dy·x̂ %d, relu %s", j, relu).isCloseTo(sdxD[j], org.assertj.core.data.Offset.offset(tol * 4));
            }

            float[] dx = new float[rows * cols + 1];
            BatchNormKernels.backwardInput(x, 5, dy, 3, rows, cols, mean, rstd, reluScale, reluShift, kqs, dx, 1);
            double[] dxD = new double[rows * cols + 1];
            BatchNormKernels.backwardInputScalar(Buf.of(KernelTwinTest.widen(x)), 5, Buf.of(KernelTwinTest.widen(dy)), 3, rows, cols,
                    Buf.of(KernelTwinTest.widen(mean)), Buf.of(KernelTwinTest.widen(rstd)), reluScaleD, reluShiftD, Buf.of(KernelTwinTest.widen(kqs)),
                    Buf.of(dxD), 1);
            for (int i = 1; i < dx.length; i++) {
                assertThat((double) dx[i]).as("dx %d, relu %s", i, relu).isCloseTo(dxD[i], org.assertj.core.data.Offset.offset(1e-4));
            }
        }
    }
}
