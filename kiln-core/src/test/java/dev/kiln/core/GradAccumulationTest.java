package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** zeroGrad writes its zeros lazily: backward then copies instead of adding, and grad() shows zeros if read first. */
class GradAccumulationTest {

    private static Tensor param() {
        return Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
    }

    private static void backward(Tensor p, float k) {
        p.mul(Tensor.of(new float[] {k, 2 * k, -k}, 3)).sum().backward();
    }

    @Test
    void backwardAfterZeroGradGivesExactlyTheNewGradient() {
        Tensor p = param();
        backward(p, 1);
        Tensor g = p.grad();
        p.zeroGrad();
        backward(p, 3);
        assertThat(p.grad()).isSameAs(g);   // the same tensor, refilled in place
        assertThat(p.grad().toFloatArray()).containsExactly(3, 6, -3);
        backward(p, 1);                      // without zeroGrad: accumulates
        assertThat(p.grad().toFloatArray()).containsExactly(4, 8, -4);
    }

    @Test
    void gradReadAfterZeroGradIsZeroAndLaterBackwardAddsToIt() {
        Tensor p = param();
        backward(p, 2);
        p.zeroGrad();
        assertThat(p.grad().toFloatArray()).containsExactly(0, 0, 0);
        backward(p, 1);
        assertThat(p.grad().toFloatArray()).containsExactly(1, 2, -1);
        p.zeroGrad();
        p.zeroGrad();
        assertThat(p.grad().toFloatArray()).containsExactly(0, 0, 0);
    }
}
