package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The fused LSTM and GRU sequence ops: gradient checks in double, and agreement with the same LSTM composed from primitives. */
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

    /** The composed reference: the Keras LSTM cell from primitive ops, states kept where the mask is 0. Returns (T, B, 2U). */
    static Tensor composed(Tensor proj, Tensor r, Tensor h, Tensor c, Tensor mask) {
        int t = proj.shape(0), b = proj.shape(1), u = r.shape(0);
        Tensor[] steps = new Tensor[t];
        for (int s = 0; s < t; s++) {
            Tensor z = proj.slice(0, s, s + 1).reshape(b, 4 * u).add(h.matmul(r));
            Tensor i = z.slice(1, 0, u).sigmoid(), f = z.slice(1, u, 2 * u).sigmoid();
            Tensor g = z.slice(1, 2 * u, 3 * u).tanh(), o = z.slice(1, 3 * u, 4 * u).sigmoid();
            Tensor cn = f.mul(c).add(i.mul(g));
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

    @ParameterizedTest(name = "T={0} B={1} U={2} masked={3}")
    @CsvSource({"1, 1, 1, false", "3, 2, 3, false", "4, 3, 2, true", "5, 2, 5, true"})
    void gradientCheckInDouble(int t, int b, int u, boolean masked) {
        Rng rng = new Rng(7 + t * 31 + u);
        Tensor proj = random(rng, 1.5, t, b, 4 * u), r = random(rng, 0.8, u, 4 * u);
        Tensor h0 = random(rng, 0.5, b, u), c0 = random(rng, 0.5, b, u);
        Tensor m = masked ? mask(b, t) : null;
        GradCheck.Result res = GradCheck.check(x -> Recurrent.lstm(x[0], x[1], x[2], x[3], m), proj, r, h0, c0);
        assertThat(res.elementsChecked()).isEqualTo(proj.size() + r.size() + h0.size() + c0.size());
    }

    @ParameterizedTest(name = "{0} T={1} B={2} U={3} masked={4}")
    @CsvSource({"FLOAT64, 4, 3, 5, true", "FLOAT64, 6, 2, 4, false", "FLOAT32, 7, 5, 19, true", "FLOAT32, 3, 4, 33, false"})
    void matchesComposedOpsForwardAndBackward(DType dtype, int t, int b, int u, boolean masked) {
        Rng rng = new Rng(11 + t);
        Tensor[] fused = {random(rng, 1.5, t, b, 4 * u), random(rng, 0.8, u, 4 * u), random(rng, 0.5, b, u), random(rng, 0.5, b, u)};
        Tensor[] ref = new Tensor[4];
        for (int k = 0; k < 4; k++) {
            fused[k] = fused[k].to(dtype).requiresGrad(true);
            ref[k] = fused[k].detach().copy().requiresGrad(true);
        }
        Tensor m = masked ? mask(b, t).to(dtype) : null;
        Tensor w = random(rng, 1, t, b, 2 * u).to(dtype);
        Tensor a = Recurrent.lstm(fused[0], fused[1], fused[2], fused[3], m);
        Tensor e = composed(ref[0], ref[1], ref[2], ref[3], m);
        double tol = dtype == DType.FLOAT64 ? 1e-12 : 2e-5;
        assertClose(a, e, tol, "output");
        a.mul(w).sum().backward();
        e.mul(w).sum().backward();
        for (int k = 0; k < 4; k++) assertClose(fused[k].grad(), ref[k].grad(), tol * 10, "gradient of input " + k);
    }

    @Test
    void transposedViewOfTheRecurrentKernelIsRead() {
        Rng rng = new Rng(3);
        Tensor proj = random(rng, 1, 3, 2, 8).to(DType.FLOAT32);
        Tensor rT = random(rng, 1, 8, 2).to(DType.FLOAT32);
        Tensor h = Tensor.zeros(2, 2), c = Tensor.zeros(2, 2);
        assertClose(Recurrent.lstm(proj, rT.transpose(0, 1), h, c, null), composed(proj, rT.transpose(0, 1), h, c, null), 1e-6, "output");
    }

    @Test
    void wrongShapesSayWhatWasExpected() {
        Tensor proj = Tensor.zeros(3, 2, 8);
        assertThatThrownBy(() -> Recurrent.lstm(proj, Tensor.zeros(3, 8), Tensor.zeros(2, 2), Tensor.zeros(2, 2), null))
                .hasMessageContaining("recurrentKernel must be (2, 8)");
        assertThatThrownBy(() -> Recurrent.lstm(proj, Tensor.zeros(2, 8), Tensor.zeros(2, 2), Tensor.zeros(2, 2), Tensor.zeros(3, 2)))
                .hasMessageContaining("mask must be (batch, timesteps) = (2, 3)");
        assertThatThrownBy(() -> Recurrent.lstm(Tensor.zeros(3, 2, 7), Tensor.zeros(2, 8), Tensor.zeros(2, 2), Tensor.zeros(2, 2), null))
                .hasMessageContaining("4·units");
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
