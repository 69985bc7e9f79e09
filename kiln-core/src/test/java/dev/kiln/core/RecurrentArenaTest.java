package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The fused LSTM and GRU take their float32 results and gradients from the step's arena without zero-filling them, as
 * their kernels write every element. In a poisoned arena a recycled array is all NaN, so an element left unwritten
 * would show; the second pass runs on the first pass's recycled arrays and must match a plain run bit for bit.
 */
class RecurrentArenaTest {
    private static void matchesPlainRun(Supplier<float[]> step) {
        float[] plain = step.get();
        StepArena arena = new StepArena(true);
        for (int pass = 0; pass < 2; pass++) {
            assertThat(arena.call(step)).containsExactly(plain);
            arena.reset();
        }
    }

    private static float[] sums(Tensor... ts) {
        float[] out = new float[ts.length];
        for (int i = 0; i < ts.length; i++) out[i] = ts[i].sum().item();
        return out;
    }

    @Test
    void lstmResultsAndGradientsAreWrittenWholeInRecycledStorage() {
        Rng rng = new Rng(21);
        int b = 5, t = 7, f = 3, u = 9;
        Tensor x = Tensor.normal(rng, 0, 1, b, t, f).requiresGrad(true), w = Tensor.normal(rng, 0, 0.5f, f, 4 * u).requiresGrad(true);
        Tensor bias = Tensor.normal(rng, 0, 0.5f, 4 * u).requiresGrad(true), r = Tensor.normal(rng, 0, 0.5f, u, 4 * u).requiresGrad(true);
        Tensor h0 = Tensor.normal(rng, 0, 0.5f, b, u).requiresGrad(true), c0 = Tensor.normal(rng, 0, 0.5f, b, u).requiresGrad(true);
        Tensor mask = Tensor.of(new float[b * t], b, t).add(1f);
        mask.rawFloats()[4] = 0;
        mask.rawFloats()[t + 2] = 0;
        Tensor[] params = {x, w, bias, r, h0, c0};
        for (Tensor m : new Tensor[] {null, mask}) {
            matchesPlainRun(() -> {
                Tensor seq = Recurrent.lstm(x, w, bias, r, h0, c0, m, null), last = Recurrent.lstmLast(x, w, bias, r, h0, c0, m, null);
                seq.mul(seq).sum().add(last.mul(last).sum()).backward();
                float[] out = sums(seq, last, x.grad(), w.grad(), bias.grad(), r.grad(), h0.grad(), c0.grad());
                for (Tensor p : params) p.zeroGrad();
                return out;
            });
        }
    }

    @Test
    void gruResultsAndGradientsAreWrittenWholeInRecycledStorage() {
        Rng rng = new Rng(22);
        int b = 5, t = 6, u = 7;
        Tensor proj = Tensor.normal(rng, 0, 1, t, b, 3 * u).requiresGrad(true), r = Tensor.normal(rng, 0, 0.5f, u, 3 * u).requiresGrad(true);
        Tensor rb = Tensor.normal(rng, 0, 0.5f, 3 * u).requiresGrad(true), h0 = Tensor.normal(rng, 0, 0.5f, b, u).requiresGrad(true);
        Tensor mask = Tensor.of(new float[b * t], b, t).add(1f);
        mask.rawFloats()[3] = 0;
        Tensor[] params = {proj, r, rb, h0};
        for (Tensor m : new Tensor[] {null, mask}) {
            matchesPlainRun(() -> {
                Tensor out = Recurrent.gru(proj, r, rb, h0, m);
                out.mul(out).sum().backward();
                float[] sums = sums(out, proj.grad(), r.grad(), rb.grad(), h0.grad());
                for (Tensor p : params) p.zeroGrad();
                return sums;
            });
        }
    }
}
