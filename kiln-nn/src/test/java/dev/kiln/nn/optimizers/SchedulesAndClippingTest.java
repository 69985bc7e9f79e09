package dev.kiln.nn.optimizers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.nn.layers.Initializer;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchedulesAndClippingTest {
    @Test
    void stepDecayHalvesEveryPeriod() {
        var s = new LearningRateSchedule.StepDecay(0.1, 10, 0.5);
        assertThat(s.at(0)).isEqualTo(0.1);
        assertThat(s.at(9)).isEqualTo(0.1);
        assertThat(s.at(10)).isEqualTo(0.05);
        assertThat(s.at(25)).isEqualTo(0.025);
    }

    @Test
    void exponentialDecaySmoothAndStaircase() {
        var smooth = new LearningRateSchedule.ExponentialDecay(1.0, 100, 0.5, false);
        var stairs = new LearningRateSchedule.ExponentialDecay(1.0, 100, 0.5, true);
        assertThat(smooth.at(50)).isCloseTo(Math.sqrt(0.5), within(1e-12));
        assertThat(stairs.at(50)).isEqualTo(1.0);
        assertThat(stairs.at(200)).isEqualTo(0.25);
    }

    @Test
    void cosineWarmsUpThenDecaysToMinimum() {
        var s = new LearningRateSchedule.CosineDecay(1.0, 10, 110, 0.1);
        assertThat(s.at(0)).isCloseTo(0.1, within(1e-12));       // (0+1)/10 of the peak
        assertThat(s.at(9)).isCloseTo(1.0, within(1e-12));
        assertThat(s.at(60)).isCloseTo(0.55, within(1e-12));      // half-way: (peak+min)/2
        assertThat(s.at(110)).isCloseTo(0.1, within(1e-12));
        assertThat(s.at(500)).isCloseTo(0.1, within(1e-12));
        for (long t = 10; t < 110; t++) assertThat(s.at(t + 1)).isLessThanOrEqualTo(s.at(t));
    }

    @Test
    void badScheduleArgumentsSayWhatIsNeeded() {
        assertThatThrownBy(() -> new LearningRateSchedule.CosineDecay(1, 10, 5, 0)).hasMessageContaining("warmupSteps < totalSteps");
        assertThatThrownBy(() -> LearningRateSchedule.constant(0)).hasMessageContaining("> 0");
        assertThatThrownBy(() -> new Sgd(0.1, 0, true)).hasMessageContaining("Nesterov");
    }

    @Test
    void optimizerFollowsItsScheduleAndPlateauFactor() {
        Tensor p = Tensor.of(new float[] {1f}, 1).requiresGrad(true);
        Sgd sgd = new Sgd(new LearningRateSchedule.StepDecay(0.1, 1, 0.5), 0, false);
        for (int step = 0; step < 3; step++) {
            p.zeroGrad();
            p.sum().backward();            // gradient 1
            double lr = sgd.learningRate();
            float before = p.rawFloats()[0];
            sgd.step(List.of(p));
            assertThat((double) before - p.rawFloats()[0]).isCloseTo(lr, within(1e-7));
        }
        double next = sgd.learningRate();
        sgd.scaleLearningRate(0.1);
        assertThat(sgd.learningRate()).isCloseTo(next * 0.1, within(1e-15));
    }

    @Test
    void globalNormClippingScalesAllGradientsTogether() {
        Tensor a = Tensor.of(new float[] {0, 0}, 2).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {0}, 1).requiresGrad(true);
        // loss = 3·a0 + 4·b0 → gradients (3, 0) and (4): global norm 5
        a.mul(Tensor.of(new float[] {3, 0}, 2)).sum().add(b.mul(4f).sum()).backward();
        Sgd sgd = new Sgd(1.0);
        sgd.clipGlobalNorm(1.0);
        double norm = sgd.step(List.of(a, b));
        assertThat(norm).isCloseTo(5.0, within(1e-6));
        assertThat((double) a.rawFloats()[0]).isCloseTo(-0.6, within(1e-5));
        assertThat((double) b.rawFloats()[0]).isCloseTo(-0.8, within(1e-5));
        assertThat((double) a.rawFloats()[1]).isEqualTo(0.0);
    }

    @Test
    void initializersHaveTheirDocumentedSpread() {
        Rng rng = new Rng(3);
        float[] glorot = Initializer.GLOROT_UNIFORM.create(rng, 300, 200).toFloatArray();
        double limit = Math.sqrt(6.0 / 500);
        double sumSq = 0;
        for (float v : glorot) {
            assertThat(Math.abs(v)).isLessThanOrEqualTo((float) limit);
            sumSq += v * v;
        }
        assertThat(Math.sqrt(sumSq / glorot.length)).isCloseTo(limit / Math.sqrt(3), within(0.01));
        float[] he = Initializer.HE_NORMAL.create(rng, 400, 100).toFloatArray();
        double s = 0;
        for (float v : he) {
            assertThat(Math.abs(v)).isLessThanOrEqualTo((float) (2 * Math.sqrt(2.0 / 400) / 0.8796) + 1e-6f);
            s += v * v;
        }
        assertThat(Math.sqrt(s / he.length)).isCloseTo(Math.sqrt(2.0 / 400), within(0.004));
        assertThat(Initializer.ZEROS.create(rng, 3).toFloatArray()).containsOnly(0f);
        assertThat(Initializer.parse("he-uniform")).isEqualTo(Initializer.HE_UNIFORM);
        assertThatThrownBy(() -> Initializer.parse("lecun")).hasMessageContaining("glorot_uniform");
    }
}
