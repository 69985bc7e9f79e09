package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The backward pass's bookkeeping kept by a {@link StepArena}: reused across steps, emptied after each, even on failure. */
class BackwardWalkTest {

    /** x·w, relu, used twice (a shared node whose gradients are summed), summed to a scalar; returns w's gradient. */
    private static float[] gradOfW(Tensor w) {
        Tensor x = Tensor.of(new float[] {1, -2, 3, -4, 5, -6}, 2, 3);
        Tensor h = x.matmul(w).relu();
        h.add(h.mul(h)).sum().backward();
        float[] g = w.grad().toFloatArray();
        w.zeroGrad();
        return g;
    }

    private static Tensor weights() {
        return Tensor.of(new float[] {0.5f, -1, 2, 0.25f, 1, -3}, 3, 2).requiresGrad(true);
    }

    @Test
    void anArenaKeepsOneWalkEmptiedAfterEveryStepAndGradientsMatch() {
        Tensor w = weights();
        float[] plain = gradOfW(w);
        StepArena arena = new StepArena(true);
        BackwardWalk walk = arena.walk;
        for (int step = 0; step < 3; step++) {
            float[] g = arena.call(() -> gradOfW(w));
            arena.reset();
            assertThat(g).isEqualTo(plain);
            assertThat(arena.walk).isSameAs(walk);
            assertThat(walk.isIdle()).as("no tensor of the step is still referenced by the walk").isTrue();
        }
    }

    @Test
    void aFailingBackwardLeavesTheWalkReusable() {
        StepArena arena = new StepArena();
        Tensor w = weights();
        assertThatThrownBy(() -> arena.call(() -> {
            Tensor x = Tensor.of(new float[] {1, 2, 3}, 1, 3);
            Tensor y = x.matmul(w);
            Tensor bad = Function.record(Tensor.fresh(DType.FLOAT32), new Function(y) {
                @Override
                protected Tensor[] backward(Tensor dOut) {
                    return new Tensor[] {Tensor.zeros(5)};   // the wrong shape for y (1, 2)
                }
            });
            bad.backward();
            return null;
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("produced gradient of shape");
        arena.reset();
        assertThat(arena.walk.isIdle()).isTrue();
        float[] plain = gradOfW(weights());
        assertThat(arena.call(() -> gradOfW(w))).isEqualTo(plain);
    }

    @Test
    void aBackwardStartedInsideAnotherUsesItsOwnWalk() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 1, 3);
        Tensor alone = weights();
        x.matmul(alone).relu().sum().backward();
        StepArena arena = new StepArena();
        Tensor w = weights();
        Tensor v = weights();
        arena.call(() -> {
            Tensor innerLoss = x.matmul(v).relu().sum();   // recorded now, walked from inside the outer pass
            Tensor y = x.matmul(w);
            Tensor outer = Function.record(Tensor.fresh(DType.FLOAT32), new Function(y) {
                @Override
                protected Tensor[] backward(Tensor dOut) {
                    innerLoss.backward();   // the arena's walk is busy with the outer pass: this one must get its own
                    return new Tensor[] {Tensor.fresh(DType.FLOAT32, 1, 2)};
                }
            });
            outer.backward();
            return null;
        });
        assertThat(v.grad().toFloatArray()).isEqualTo(alone.grad().toFloatArray());
        assertThat(w.grad().toFloatArray()).containsOnly(0f);
        assertThat(arena.walk.isIdle()).isTrue();
    }
}
