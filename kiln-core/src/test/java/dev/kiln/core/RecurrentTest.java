package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fused LSTM and GRU sequence ops: gradient checks in double, agreement with the same cells composed from primitives,
 * and the LSTM's buffer reuse across steps.
 */
class RecurrentTest {
    static Tensor random(Rng rng, double scale, int... shape) {
        double[] a = new double[Shape.size(shape)];
        for (int i = 0; i < a.length; i++) a[i] = scale * rng.uniform(-1, 1);
        return Tensor.of(a, shape);
    }

    /** (B, T) mask with padding at the start of row 0 and the end of row 1 (and inside, where T allows). */
    static Tensor mask(int b, int t) {
        double[] m = new double[b * t];
        java.util.Arrays.fill(m, 1);
        m[0] = 0;
        if (b > 1) m[t + t - 1] = 0;
        if (t > 3 && b > 2) m[2 * t + 2] = 0;
        return Tensor.of(m, b, t);
    }

    /**
     * The composed reference: the Keras LSTM cell from primitive ops on x (B, T, F), states kept where the mask is 0.
     * Returns (T, B, 2U).
     */
    static Tensor composed(Tensor x, Tensor w, Tensor bias, Tensor r, Tensor h, Tensor c, Tensor mask) {
        int b = x.shape(0), t = x.shape(1), f = x.shape(2), u = r.shape(0);
        Tensor[] steps = new Tensor[t];
        for (int s = 0; s < t; s++) {
            Tensor z = x.slice(1, s, s + 1).reshape(b, f).matmul(w).add(bias).add(h.matmul(r));
            Tensor i = z.slice(1, 0, u).sigmoid(), fg = z.slice(1, u, 2 * u).sigmoid();
            Tensor g = z.slice(1, 2 * u, 3 * u).tanh(), o = z.slice(1, 3 * u, 4 * u).sigmoid();
            Tensor cn = fg.mul(c).add(i.mul(g));
            Tensor hn = o.mul(cn.tanh());
            if (mask != null) {
                Tensor keep = mask.slice(1, s, s + 1);   // (B, 1)
                hn = Tensor.where(keep, hn, h);
                cn = Tensor.where(keep, cn, c);
            }
            h = hn;
            c = cn;
            steps[s] = Tensor.concat(1, h, c).reshape(1, b, 2 * u);
        }
        return Tensor.concat(0, steps);
    }

    /** Inputs x (B, T, F), W, bias, R, h0, c0 for an LSTM of the given size. */
    static Tensor[] lstmInputs(Rng rng, int t, int b, int f, int u) {
        return new Tensor[] {random(rng, 1.5, b, t, f), random(rng, 0.7, f, 4 * u), random(rng, 0.5, 4 * u), random(rng, 0.8, u, 4 * u),
                random(rng, 0.5, b, u), random(rng, 0.5, b, u)};
    }

    static Tensor fusedLstm(Tensor[] x, Tensor m, boolean last, Recurrent.Workspace ws) {
        return last ? Recurrent.lstmLast(x[0], x[1], x[2], x[3], x[4], x[5], m, ws) : Recurrent.lstm(x[0], x[1], x[2], x[3], x[4], x[5], m, ws);
    }

    @ParameterizedTest(name = "T={0} B={1} F={2} U={3} masked={4} last={5}")
    @CsvSource({"1, 1, 1, 1, false, false", "3, 2, 2, 3, false, false", "4, 3, 3, 2, true, false", "5, 2, 1, 5, true, false",
            "3, 2, 2, 3, false, true", "4, 3, 3, 2, true, true"})
    void gradientCheckInDouble(int t, int b, int f, int u, boolean masked, boolean last) {
        Rng rng = new Rng(7 + t * 31 + u);
        Tensor[] in = lstmInputs(rng, t, b, f, u);
        Tensor m = masked ? mask(b, t) : null;
        GradCheck.Result res = GradCheck.check(x -> fusedLstm(x, m, last, null), in);
        int n = 0;
        for (Tensor x : in) n += x.size();
        assertThat(res.elementsChecked()).isEqualTo(n);
    }

    @ParameterizedTest(name = "{0} T={1} B={2} F={3} U={4} masked={5} last={6}")
    @CsvSource({"FLOAT64, 4, 3, 2, 5, true, false", "FLOAT64, 6, 2, 3, 4, false, true", "FLOAT32, 7, 5, 3, 19, true, false",
            "FLOAT32, 3, 4, 6, 33, false, false", "FLOAT32, 7, 5, 3, 19, true, true", "FLOAT32, 9, 13, 16, 40, false, true"})
    void matchesComposedOpsForwardAndBackward(DType dtype, int t, int b, int f, int u, boolean masked, boolean last) {
        Rng rng = new Rng(11 + t);
        Tensor[] fused = lstmInputs(rng, t, b, f, u), ref = new Tensor[6];
        for (int k = 0; k < 6; k++) {
            fused[k] = fused[k].to(dtype).requiresGrad(true);
            ref[k] = fused[k].detach().copy().requiresGrad(true);
        }
        Tensor m = masked ? mask(b, t).to(dtype) : null;
        Tensor e = composed(ref[0], ref[1], ref[2], ref[3], ref[4], ref[5], m);
        if (last) e = e.slice(0, t - 1, t).reshape(b, 2 * u);
        Tensor w = random(rng, 1, e.shape()).to(dtype);
        Tensor a = fusedLstm(fused, m, last, new Recurrent.Workspace());
        double tol = dtype == DType.FLOAT64 ? 1e-12 : 2e-5;
        assertClose(a, e, tol, "output");
        a.mul(w).sum().backward();
        e.mul(w).sum().backward();
        for (int k = 0; k < 6; k++) assertClose(fused[k].grad(), ref[k].grad(), tol * 10, "gradient of input " + k);
    }

    @Test
    void workspaceReuseGivesTheSameResultsStepAfterStep() {
        Rng rng = new Rng(5);
        Tensor[] in = lstmInputs(rng, 6, 7, 4, 9);
        for (int k = 0; k < 6; k++) in[k] = in[k].to(DType.FLOAT32).requiresGrad(true);
        Tensor m = mask(7, 6).to(DType.FLOAT32);
        Recurrent.Workspace ws = new Recurrent.Workspace();
        float[][] first = null;
        for (int step = 0; step < 3; step++) {
            for (Tensor x : in) x.zeroGrad();
            Tensor a = fusedLstm(in, m, true, ws);
            Tensor held = fusedLstm(in, m, true, ws);   // a second graph alive at once gets its own buffers
            a.sum().backward();
            held.mul(Tensor.scalar(0f)).sum().backward();
            float[][] now = new float[7][];
            now[0] = a.toFloatArray();
            for (int k = 0; k < 6; k++) now[k + 1] = in[k].grad().toFloatArray();
            if (first == null) first = now;
            else for (int k = 0; k < now.length; k++) assertThat(now[k]).as("step %d, array %d", step, k).containsExactly(first[k]);
        }
        // an untracked (inference) call through the same workspace agrees too
        Tensor inference = Grad.noGrad(() -> fusedLstm(in, m, true, ws));
        assertThat(inference.toFloatArray()).containsExactly(first[0]);
    }

    @Test
    void workspaceServesSmallerAndLargerBatchesAndConcurrentCalls() throws Exception {
        Rng rng = new Rng(8);
        Tensor[] big = lstmInputs(rng, 5, 9, 3, 6), small = lstmInputs(rng, 5, 2, 3, 6);
        for (int k = 0; k < 6; k++) {
            big[k] = big[k].to(DType.FLOAT32);
            small[k] = small[k].to(DType.FLOAT32);
        }
        small[1] = big[1];
        small[2] = big[2];
        small[3] = big[3];
        float[] bigAlone = fusedLstm(big, null, false, null).toFloatArray(), smallAlone = fusedLstm(small, null, true, null).toFloatArray();
        Recurrent.Workspace ws = new Recurrent.Workspace();
        for (int round = 0; round < 2; round++) {   // large then small then large: stale tails of bigger buffers are never read
            assertThat(fusedLstm(big, null, false, ws).toFloatArray()).containsExactly(bigAlone);
            assertThat(fusedLstm(small, null, true, ws).toFloatArray()).containsExactly(smallAlone);
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            java.util.List<java.util.concurrent.Future<float[]>> runs = new java.util.ArrayList<>();
            for (int i = 0; i < 16; i++) runs.add(pool.submit(() -> fusedLstm(big, null, false, ws).toFloatArray()));
            for (java.util.concurrent.Future<float[]> run : runs) assertThat(run.get()).containsExactly(bigAlone);
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aSecondBackwardThroughTheSameGraphSaysWhy() {
        Rng rng = new Rng(6);
        Tensor[] in = lstmInputs(rng, 3, 2, 2, 3);
        for (int k = 0; k < 6; k++) in[k] = in[k].to(DType.FLOAT32).requiresGrad(true);
        Tensor loss = fusedLstm(in, null, true, new Recurrent.Workspace()).sum();
        loss.backward();
        assertThatThrownBy(loss::backward).hasMessageContaining("backward ran twice through a fused LSTM");
    }

    @Test
    void stridedViewsOfTheInputsAreRead() {
        Rng rng = new Rng(3);
        Tensor xT = random(rng, 1, 3, 2, 4).to(DType.FLOAT32);   // (T, B, F) read as (B, T, F) through a permuted view
        Tensor rT = random(rng, 1, 8, 2).to(DType.FLOAT32);
        Tensor w = random(rng, 1, 4, 8).to(DType.FLOAT32), bias = random(rng, 1, 8).to(DType.FLOAT32);
        Tensor h = Tensor.zeros(2, 2), c = Tensor.zeros(2, 2);
        Tensor x = xT.permute(1, 0, 2);
        assertClose(Recurrent.lstm(x, w, bias, rT.transpose(0, 1), h, c, null, null), composed(x, w, bias, rT.transpose(0, 1), h, c, null), 1e-6, "output");
    }

    @Test
    void wrongShapesSayWhatWasExpected() {
        Tensor x = Tensor.zeros(2, 3, 5), w = Tensor.zeros(5, 8), bias = Tensor.zeros(8), h = Tensor.zeros(2, 2);
        assertThatThrownBy(() -> Recurrent.lstm(x, w, bias, Tensor.zeros(3, 8), h, h, null, null)).hasMessageContaining("(units, 4·units)");
        assertThatThrownBy(() -> Recurrent.lstm(x, Tensor.zeros(4, 8), bias, Tensor.zeros(2, 8), h, h, null, null))
                .hasMessageContaining("kernel must be (5, 8)");
        assertThatThrownBy(() -> Recurrent.lstm(x, w, Tensor.zeros(7), Tensor.zeros(2, 8), h, h, null, null)).hasMessageContaining("bias must be (8,)");
        assertThatThrownBy(() -> Recurrent.lstm(x, w, bias, Tensor.zeros(2, 8), h, h, Tensor.zeros(3, 2), null))
                .hasMessageContaining("mask must be (batch, timesteps) = (2, 3)");
        assertThatThrownBy(() -> Recurrent.lstmLast(Tensor.zeros(3, 5), w, bias, Tensor.zeros(2, 8), h, h, null, null))
                .hasMessageContaining("(batch, timesteps, features)");
    }

    /** The composed GRU reference (Keras reset_after), states kept where the mask is 0. Returns (T, B, U). */
    static Tensor composedGru(Tensor proj, Tensor r, Tensor rb, Tensor h, Tensor mask) {
        int t = proj.shape(0), b = proj.shape(1), u = r.shape(0);
        Tensor[] steps = new Tensor[t];
        for (int s = 0; s < t; s++) {
            Tensor xt = proj.slice(0, s, s + 1).reshape(b, 3 * u);
            Tensor hr = h.matmul(r).add(rb);
            Tensor z = xt.slice(1, 0, u).add(hr.slice(1, 0, u)).sigmoid();
            Tensor rg = xt.slice(1, u, 2 * u).add(hr.slice(1, u, 2 * u)).sigmoid();
            Tensor n = xt.slice(1, 2 * u, 3 * u).add(rg.mul(hr.slice(1, 2 * u, 3 * u))).tanh();
            Tensor hn = n.add(z.mul(h.sub(n)));
            if (mask != null) hn = Tensor.where(mask.slice(1, s, s + 1), hn, h);
            h = hn;
            steps[s] = h.reshape(1, b, u);
        }
        return Tensor.concat(0, steps);
    }

    @ParameterizedTest(name = "T={0} B={1} U={2} masked={3}")
    @CsvSource({"1, 1, 1, false", "3, 2, 3, false", "4, 3, 2, true", "5, 2, 4, true"})
    void gruGradientCheckInDouble(int t, int b, int u, boolean masked) {
        Rng rng = new Rng(17 + t * 31 + u);
        Tensor proj = random(rng, 1.5, t, b, 3 * u), r = random(rng, 0.8, u, 3 * u), rb = random(rng, 0.5, 3 * u), h0 = random(rng, 0.5, b, u);
        Tensor m = masked ? mask(b, t) : null;
        GradCheck.Result res = GradCheck.check(x -> Recurrent.gru(x[0], x[1], x[2], x[3], m), proj, r, rb, h0);
        assertThat(res.elementsChecked()).isEqualTo(proj.size() + r.size() + rb.size() + h0.size());
    }

    @ParameterizedTest(name = "{0} T={1} B={2} U={3} masked={4}")
    @CsvSource({"FLOAT64, 4, 3, 5, true", "FLOAT64, 6, 2, 4, false", "FLOAT32, 7, 5, 19, true", "FLOAT32, 3, 4, 33, false"})
    void gruMatchesComposedOpsForwardAndBackward(DType dtype, int t, int b, int u, boolean masked) {
        Rng rng = new Rng(23 + t);
        Tensor[] fused = {random(rng, 1.5, t, b, 3 * u), random(rng, 0.8, u, 3 * u), random(rng, 0.5, 3 * u), random(rng, 0.5, b, u)};
        Tensor[] ref = new Tensor[4];
        for (int k = 0; k < 4; k++) {
            fused[k] = fused[k].to(dtype).requiresGrad(true);
            ref[k] = fused[k].detach().copy().requiresGrad(true);
        }
        Tensor m = masked ? mask(b, t).to(dtype) : null;
        Tensor w = random(rng, 1, t, b, u).to(dtype);
        Tensor a = Recurrent.gru(fused[0], fused[1], fused[2], fused[3], m);
        Tensor e = composedGru(ref[0], ref[1], ref[2], ref[3], m);
        double tol = dtype == DType.FLOAT64 ? 1e-12 : 2e-5;
        assertClose(a, e, tol, "output");
        a.mul(w).sum().backward();
        e.mul(w).sum().backward();
        for (int k = 0; k < 4; k++) assertClose(fused[k].grad(), ref[k].grad(), tol * 10, "gradient of input " + k);
    }

    static void assertClose(Tensor actual, Tensor expected, double tol, String what) {
        assertThat(actual.shape()).as(what).containsExactly(expected.shape());
        double[] a = actual.toDoubleArray(), e = expected.toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            assertThat(Math.abs(a[i] - e[i])).as("%s at %d: %s vs %s", what, i, a[i], e[i]).isLessThanOrEqualTo(tol * (1 + Math.abs(e[i])));
        }
    }
}
