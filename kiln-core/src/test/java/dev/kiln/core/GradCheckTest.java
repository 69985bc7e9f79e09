package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GradCheckTest {

    /** y = x³ with a deliberately wrong backward (3x instead of 3x²) at one chosen element. */
    static final class WrongCube extends Function {
        private final Tensor x;
        private final int badElement;

        WrongCube(Tensor x, int badElement) {
            super(x);
            this.x = x;
            this.badElement = badElement;
        }

        static Tensor apply(Tensor x, int badElement) {
            Tensor y = Grad.noGrad(() -> x.mul(x).mul(x));
            return Function.needsGrad(x) ? Function.record(y, new WrongCube(x, badElement)) : y;
        }

        @Override
        protected Tensor[] backward(Tensor dY) {
            Tensor d = dY.mul(x.mul(x)).mul(3f).copy();
            d.set(badElement, d.valueAt(badElement) / x.valueAt(badElement));
            return new Tensor[] {d};
        }
    }

    @Test
    void passesACorrectGradientAndCountsElements() {
        Tensor a = Tensor.of(new float[] {0.5f, -1f, 2f, 1.5f}, 2, 2);
        Tensor b = Tensor.of(new float[] {1f, 2f}, 2);
        GradCheck.Result r = GradCheck.check(x -> x[0].mul(x[1]).tanh(), a, b);
        assertThat(r.elementsChecked()).isEqualTo(6);
        assertThat(r.maxToleranceUsed()).isBetween(0.0, 1.0);
        assertThat(a.requiresGrad()).as("inputs are copied, not marked").isFalse();
    }

    @Test
    void reportsInputElementAndBothValuesOfAWrongGradient() {
        Tensor other = Tensor.of(new double[] {1, 2, 3}, 3);
        Tensor x = Tensor.of(new double[] {1.5, 2.0, -1.25, 0.75}, 2, 2);
        assertThatThrownBy(() -> GradCheck.check(in -> WrongCube.apply(in[1], 2).sum(1, false).add(in[0].sum()), other, x))
                .isInstanceOf(AssertionError.class)
                .isInstanceOfSatisfying(GradCheck.Mismatch.class, m -> {
                    assertThat(m.input()).isEqualTo(1);
                    assertThat(m.element()).isEqualTo(2);
                    assertThat(m.analytic()).isCloseTo(m.numeric() / -1.25, org.assertj.core.data.Offset.offset(1e-6));
                })
                .hasMessageContaining("input 1")
                .hasMessageContaining("element 2 [1, 0]")
                .hasMessageContaining("analytic")
                .hasMessageContaining("numeric");
    }

    @Test
    void anInputTheOutputIgnoresHasZeroGradient() {
        Tensor a = Tensor.of(new double[] {1, 2}, 2);
        Tensor unused = Tensor.of(new double[] {3}, 1);
        assertThat(GradCheck.check(x -> x[0].exp(), a, unused).elementsChecked()).isEqualTo(3);
    }

    @Test
    void rejectsAFunctionThatLeavesFloat64() {
        Tensor a = Tensor.of(new double[] {1, 2}, 2);
        assertThatThrownBy(() -> GradCheck.check(x -> x[0].to(DType.FLOAT32), a))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("FLOAT32");
    }

    @Test
    void optionsAreValidated() {
        assertThatThrownBy(() -> GradCheck.Options.DEFAULT.withEps(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(GradCheck.Options.DEFAULT.withAtol(1e-3).atol()).isEqualTo(1e-3);
    }
}
