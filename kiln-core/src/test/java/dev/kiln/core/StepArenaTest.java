package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StepArenaTest {

    private static Tensor input() {
        return Tensor.of(new float[] {1, -2, 3, -4, 5, -6}, 2, 3);
    }

    @Test
    void theCrossEntropyCopiesTheLabelsItKeepsForBackward() {
        // Loss reuses one ids array per thread for the next step; the op's gradient must not read the caller's array later.
        float[] logits = {0.5f, -1f, 2f, 0.1f, 0.3f, -0.2f};
        float[][] grads = new float[2][];
        for (int run = 0; run < 2; run++) {
            Tensor x = Tensor.of(logits.clone(), 2, 3).requiresGrad(true);
            int[] labels = {2, 0};
            Tensor loss = Losses.sparseSoftmaxCrossEntropy(x, labels).sum();
            if (run == 1) java.util.Arrays.fill(labels, 1);   // the caller reuses its array before backward
            loss.backward();
            grads[run] = x.grad().toFloatArray();
        }
        assertThat(grads[1]).containsExactly(grads[0]);
    }

    @Test
    void aResetStepReusesTheSameArraysZeroFilled() {
        StepArena arena = new StepArena();
        arena.call(() -> input().relu().mul(input()));
        arena.reset();
        long allocated = arena.allocatedBytes();
        Tensor b = arena.call(() -> Tensor.fresh(DType.FLOAT32, 2, 3));
        assertThat(b.rawFloats()).containsOnly(0f);   // recycled, and cleared for an op that sums into it
        arena.call(() -> input().relu().mul(input()));
        assertThat(arena.allocatedBytes()).isEqualTo(allocated + 4 * 6);   // only the third (2, 3) array is new
        arena.reset();
        Tensor c = arena.call(() -> input().relu().mul(input()));
        assertThat(arena.allocatedBytes()).isEqualTo(allocated + 4 * 6);
        assertThat(c.toFloatArray()).containsExactly(1, -0f, 9, -0f, 25, -0f);
        assertThat(arena.lentBytes()).isEqualTo(2 * 4 * 6);
    }

    @Test
    void publicFactoriesParametersGradientsAndOutsideNeverComeFromTheArena() {
        StepArena arena = new StepArena(true);   // poison: recycled arrays turn to NaN
        Tensor w = Tensor.of(new float[] {0.5f, -1, 2, 0.25f, 1, -3}, 3, 2).requiresGrad(true);
        Tensor[] kept = new Tensor[3];
        arena.call(() -> {
            Tensor loss = input().matmul(w).relu().sum();
            loss.backward();
            kept[0] = Tensor.zeros(2, 2);                                    // a public factory: the caller's to keep
            kept[1] = StepArena.outside(() -> input().mul(input()));          // explicitly outside the step
            kept[2] = input().mul(2f);                                        // an op result: the step's
            return null;
        });
        float[] grad = w.grad().toFloatArray();
        arena.reset();
        assertThat(w.grad().toFloatArray()).isEqualTo(grad).doesNotContain(Float.NaN);
        assertThat(kept[0].toFloatArray()).containsOnly(0f);
        assertThat(kept[1].toFloatArray()).containsExactly(1, 4, 9, 16, 25, 36);
        assertThat(kept[2].toFloatArray()).containsOnly(Float.NaN);          // recycled: this is why a step's tensors must not escape
    }

    @Test
    void resultsInsideAnArenaAreBitIdenticalToPlainOnes() {
        Rng rng = new Rng(3);
        Tensor x = Tensor.normal(rng, 0, 1, 8, 5);
        Tensor w = Tensor.normal(rng, 0, 1, 5, 4).requiresGrad(true);
        Tensor b = Tensor.normal(rng, 0, 1, 4).requiresGrad(true);
        int[] labels = {0, 1, 2, 3, 0, 1, 2, 3};
        float[][] plain = step(x, w, b, labels);
        StepArena arena = new StepArena(true);
        for (int i = 0; i < 3; i++) {
            float[][] pooled = arena.call(() -> step(x, w, b, labels));
            arena.reset();
            assertThat(pooled).isDeepEqualTo(plain);
        }
    }

    private static float[][] step(Tensor x, Tensor w, Tensor b, int[] labels) {
        w.zeroGrad();
        b.zeroGrad();
        Tensor h = Linear.affineRelu(x, w, b);
        Tensor loss = Losses.sparseSoftmaxCrossEntropyMean(h.softmax(-1).log().add(h), labels, null);
        loss.backward();
        return new float[][] {{loss.item()}, w.grad().toFloatArray(), b.grad().toFloatArray()};
    }

    @Test
    void stacksOfShapesNoLongerUsedAreDropped() {
        StepArena arena = new StepArena();
        for (int n = 1; n <= 50; n++) {
            int len = n;
            arena.call(() -> Tensor.fresh(DType.FLOAT32, len, 100));   // a new length every step
            arena.reset();
        }
        long before = arena.allocatedBytes();
        arena.call(() -> Tensor.fresh(DType.FLOAT32, 1, 100));         // long dropped: allocated again
        assertThat(arena.allocatedBytes()).isEqualTo(before + 400);
    }

    @Test
    void aRepeatedStepGetsBackTheSameTensorsViewsAndGraphNodes() {
        Tensor x = Tensor.of(new float[] {1, -2, 3, -4, 5, -6}, 2, 3);
        Tensor w = Tensor.of(new float[] {0.5f, -1, 2, 0.25f, 1, -3}, 3, 2).requiresGrad(true);
        StepArena arena = new StepArena();
        Tensor[][] seen = new Tensor[3][];
        for (int step = 0; step < 3; step++) {
            seen[step] = arena.call(() -> {
                Tensor y = Linear.affineRelu(x, w, null);
                Tensor flat = y.reshape(4);
                Tensor loss = Losses.sparseSoftmaxCrossEntropyMean(y, new int[] {0, 1}, null);
                loss.backward();
                return new Tensor[] {y, flat, loss};
            });
            Function node = seen[step][0].creator;
            assertThat(node).isInstanceOf(Linear.class);
            arena.reset();
            assertThat(seen[step][0].creator).as("released by reset").isNull();
            assertThat(seen[step][0].requiresGrad()).isFalse();
            if (step > 0) {
                for (int i = 0; i < 3; i++) assertThat(seen[step][i]).as("result %d, step %d", i, step).isSameAs(seen[step - 1][i]);
            }
        }
        // Outside an arena every op makes its own tensors and nodes.
        Tensor a = Linear.affineRelu(x, w, null), b = Linear.affineRelu(x, w, null);
        assertThat(a).isNotSameAs(b);
        assertThat(a.creator).isNotSameAs(b.creator);
    }

    /** A chain of element-wise ops with a shared gradient (x·x, an add of one tensor twice) and a reshaped view. */
    private static float[] chainGradient(Tensor x, int links) {
        x.zeroGrad();
        Tensor h = x;
        for (int i = 0; i < links; i++) h = h.mul(h).add(h).reshape(8, 8).reshape(64).tanh();
        h.add(h).sum().backward();
        return x.grad().toFloatArray();
    }

    @Test
    void gradientsAreTakenBackOnceConsumedAndTheStepStaysExact() {
        Tensor x = Tensor.normal(new Rng(5), 0, 0.5f, 64).requiresGrad(true);
        float[] plain = chainGradient(x, 12);
        StepArena poisoned = new StepArena(true);   // anything read after it was taken back would be NaN
        for (int step = 0; step < 3; step++) {
            float[] pooled = poisoned.call(() -> chainGradient(x, 12));
            poisoned.reset();
            assertThat(pooled).as("step %d", step).containsExactly(plain);
        }
        // storage: the forward keeps 3 arrays of 64 floats a link; holding every gradient to the step's end as well took
        // 31,288 bytes (~10 arrays a link), taking them back once consumed 19,768 (~6.4)
        StepArena arena = new StepArena();
        for (int step = 0; step < 3; step++) {
            arena.call(() -> chainGradient(x, 12));
            arena.reset();
        }
        long perStep = arena.allocatedBytes();
        assertThat(perStep).as("bytes of storage the arena holds").isLessThan(4L * 64 * 8 * 12);
        arena.call(() -> chainGradient(x, 12));
        arena.reset();
        assertThat(arena.allocatedBytes()).as("warmed up: the next step allocates nothing").isEqualTo(perStep);
    }

    @Test
    void anInferenceInputThatWasReadIsLentAgainWithinThePass() {
        StepArena arena = new StepArena(true);   // poison: storage taken back early turns to NaN
        long[] allocated = new long[2];
        float[][] out = new float[2][];
        for (int pass = 0; pass < 2; pass++) {
            Tensor y = arena.call(() -> Grad.noGrad(() -> {
                Tensor a = input().mul(2f);
                Tensor b = a.relu();
                assertThat(StepArena.doneWith(a, b, null)).isTrue();
                assertThat(a.toFloatArray()).containsOnly(Float.NaN);        // a's storage is the arena's again...
                Tensor c = b.mul(b);
                assertThat(c.rawFloats()).isSameAs(a.rawFloats());          // ...and the next (2, 3) result gets it
                return c;
            }));
            out[pass] = y.toFloatArray();
            allocated[pass] = arena.allocatedBytes();
            arena.reset();
        }
        assertThat(out[0]).containsExactly(4, 0, 36, 0, 100, 0).isEqualTo(out[1]);
        assertThat(allocated[1]).isEqualTo(allocated[0]);   // the second pass replays the first from the arena
        StepArena keeping = new StepArena();
        keeping.call(() -> Grad.noGrad(() -> {
            Tensor b = input().mul(2f).relu();
            return b.mul(b);
        }));
        assertThat(allocated[0]).isEqualTo(keeping.allocatedBytes() - 4 * 6);   // one (2, 3) array fewer than holding each result
    }

    @Test
    void anInputStaysWhileTheGraphRecordsOutsideAnArenaOrWhenItsStorageIsStillRead() {
        StepArena arena = new StepArena(true);
        arena.call(() -> {
            Tensor a = input().mul(2f);
            assertThat(StepArena.doneWith(a, a.relu(), null)).isFalse();          // backward may need a
            Grad.noGrad(() -> {
                Tensor p = input().mul(2f);
                assertThat(StepArena.doneWith(p, p.reshape(3, 2), null)).isFalse();   // the next is a view of it
                assertThat(StepArena.doneWith(p, p, null)).isFalse();                 // passed through
                assertThat(StepArena.doneWith(p, p.relu(), p.reshape(6))).isFalse();  // the mask reads it
                assertThat(StepArena.doneWith(input(), p, null)).isFalse();           // not lent by the arena
                assertThat(p.toFloatArray()).containsExactly(2, -4, 6, -8, 10, -12);
            });
            return null;
        });
        Tensor q = Grad.noGrad(() -> input().mul(2f));
        assertThat(Grad.noGrad(() -> StepArena.doneWith(q, q.relu(), null))).isFalse();   // no arena
        assertThat(q.toFloatArray()).containsExactly(2, -4, 6, -8, 10, -12);
    }

    @Test
    void theModesAreRestoredWhenTheCodeThrows() {
        StepArena arena = new StepArena();
        try {
            arena.run(() -> Grad.noGrad(() -> {
                assertThat(StepArena.current()).isSameAs(arena);
                assertThat(Grad.isEnabled()).isFalse();
                throw new IllegalStateException("boom");
            }));
        } catch (IllegalStateException expected) {
            assertThat(expected).hasMessage("boom");
        }
        assertThat(StepArena.current()).isNull();
        assertThat(Grad.isEnabled()).isTrue();
        arena.run(() -> assertThat(StepArena.outside(StepArena::current)).isNull());
    }
}
