package dev.kiln.core;

import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.RecurrentKernels;
import dev.kiln.core.kernel.ScalarRecurrent;

/**
 * Fused recurrent ops: a whole sequence as one recorded op instead of a dozen tiny ops per time step, so
 * graph bookkeeping and per-step allocations no longer dominate. Backward is backpropagation through time in
 * one pass, from the activated gates saved during forward.
 */
public final class Recurrent {
    private Recurrent() {}

    /**
     * An LSTM over a whole sequence (Hochreiter &amp; Schmidhuber 1997; Keras gate order i, f, c̃, o):
     * <pre>
     *   z = proj[s] + h·R    i, f, o = σ(z_i, z_f, z_o)   c̃ = tanh(z_c)   c' = f ⊙ c + i ⊙ c̃   h' = o ⊙ tanh(c')
     * </pre>
     * Time runs along the first axis so that each step's rows are contiguous for the GEMM (this is what one
     * (T·B, F)·(F, 4U) input projection gives without a transpose); a layer reading backwards reverses
     * {@code proj} and {@code mask} itself.
     *
     * @param proj            (T, B, 4U) input projections x·W + b of every step
     * @param recurrentKernel (U, 4U)
     * @param h0              (B, U) initial hidden state
     * @param c0              (B, U) initial cell state
     * @param mask            (B, T), or null: where 0 the step is padding and both states carry over unchanged
     *                        (Keras's masking); not differentiated
     * @return (T, B, 2U): h of every step in columns [0, U), c in [U, 2U); the final states are the last step
     */
    public static Tensor lstm(Tensor proj, Tensor recurrentKernel, Tensor h0, Tensor c0, Tensor mask) {
        if (proj.rank() != 3 || proj.shape[2] % 4 != 0) {
            throw new IllegalArgumentException("lstm: proj must be (timesteps, batch, 4·units), got " + Shape.str(proj.shape));
        }
        int t = proj.shape[0], b = proj.shape[1], u = proj.shape[2] / 4;
        if (t < 1) throw new IllegalArgumentException("lstm: the sequence must have at least one step, got " + Shape.str(proj.shape));
        expect("lstm", "recurrentKernel", recurrentKernel, proj.dtype, u, 4 * u);
        expect("lstm", "h0", h0, proj.dtype, b, u);
        expect("lstm", "c0", c0, proj.dtype, b, u);
        float[] keep = keep("lstm", mask, b, t);
        Tensor p = dense(proj), r = dense(recurrentKernel), h = dense(h0), c = dense(c0);
        Tensor out = Tensor.zeros(proj.dtype, t, b, 2 * u);
        Tensor gates = Tensor.zeros(proj.dtype, t, b, 4 * u);
        if (proj.dtype == DType.FLOAT32) {
            RecurrentKernels.lstmForward(t, b, u, p.f, p.offset, r.f, r.offset, h.f, h.offset, c.f, c.offset, keep, out.f, gates.f);
        } else {
            ScalarRecurrent.lstmForward(t, b, u, Buf.of(p.d), p.offset, Buf.of(r.d), r.offset, Buf.of(h.d), h.offset, Buf.of(c.d), c.offset,
                    keep, Buf.of(out.d), Buf.of(gates.d));
        }
        return Function.needsGrad(proj, recurrentKernel, h0, c0)
                ? Function.record(out, new Lstm(proj, recurrentKernel, h0, c0, r, h, c, keep, out, gates)) : out;
    }

    /** The tensor's own storage when it is contiguous, else a contiguous copy (untracked). */
    private static Tensor dense(Tensor x) {
        return x.isContiguous() ? x : x.detach().contiguous();
    }

    /** The LSTM's backward: BPTT from the saved gates and states. */
    private static final class Lstm extends Function {
        private final Tensor r, h0, c0, out, gates;   // contiguous forward inputs, and what forward produced
        private final float[] keep;

        private Lstm(Tensor proj, Tensor recurrentKernel, Tensor h0In, Tensor c0In, Tensor r, Tensor h0, Tensor c0, float[] keep, Tensor out, Tensor gates) {
            super(proj, recurrentKernel, h0In, c0In);
            this.r = r;
            this.h0 = h0;
            this.c0 = c0;
            this.keep = keep;
            this.out = out;
            this.gates = gates;
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            int t = out.shape[0], b = out.shape[1], u = out.shape[2] / 2;
            Tensor dY = dense(dOut);
            Tensor dProj = Tensor.zeros(out.dtype, t, b, 4 * u);   // (T, B, 4U)
            Tensor dR = Tensor.zeros(out.dtype, u, 4 * u);
            Tensor dh0 = Tensor.zeros(out.dtype, b, u), dc0 = Tensor.zeros(out.dtype, b, u);
            if (out.dtype == DType.FLOAT32) {
                float[] dy = dY.offset == 0 ? dY.f : java.util.Arrays.copyOfRange(dY.f, dY.offset, dY.offset + dY.size());
                RecurrentKernels.lstmBackward(t, b, u, r.f, r.offset, h0.f, h0.offset, c0.f, c0.offset, keep, out.f, gates.f, dy,
                        dProj.f, dR.f, dh0.f, dc0.f);
            } else {
                double[] dy = dY.offset == 0 ? dY.d : java.util.Arrays.copyOfRange(dY.d, dY.offset, dY.offset + dY.size());
                ScalarRecurrent.lstmBackward(t, b, u, Buf.of(r.d), r.offset, Buf.of(h0.d), h0.offset, Buf.of(c0.d), c0.offset, keep,
                        Buf.of(out.d), Buf.of(gates.d), Buf.of(dy), Buf.of(dProj.d), Buf.of(dR.d), Buf.of(dh0.d), Buf.of(dc0.d));
            }
            return new Tensor[] {wants(0) ? dProj : null, wants(1) ? dR : null, wants(2) ? dh0 : null, wants(3) ? dc0 : null};
        }
    }

    /**
     * A GRU over a whole sequence (Cho et al. 2014), Keras's reset_after form with gates z, r, h̃:
     * <pre>
     *   hr = h·R + rb   z = σ(p_z + hr_z)   r = σ(p_r + hr_r)   h̃ = tanh(p_h + r ⊙ hr_h)   h' = h̃ + z ⊙ (h − h̃)
     * </pre>
     * Layout and masking as {@link #lstm}.
     *
     * @param proj            (T, B, 3U) input projections x·W + b_input of every step
     * @param recurrentKernel (U, 3U)
     * @param recurrentBias   (3U)
     * @param h0              (B, U)
     * @param mask            (B, T), or null
     * @return (T, B, U): h of every step
     */
    public static Tensor gru(Tensor proj, Tensor recurrentKernel, Tensor recurrentBias, Tensor h0, Tensor mask) {
        if (proj.rank() != 3 || proj.shape[2] % 3 != 0) {
            throw new IllegalArgumentException("gru: proj must be (timesteps, batch, 3·units), got " + Shape.str(proj.shape));
        }
        int t = proj.shape[0], b = proj.shape[1], u = proj.shape[2] / 3;
        if (t < 1) throw new IllegalArgumentException("gru: the sequence must have at least one step, got " + Shape.str(proj.shape));
        expect("gru", "recurrentKernel", recurrentKernel, proj.dtype, u, 3 * u);
        expect("gru", "recurrentBias", recurrentBias, proj.dtype, 3 * u);
        expect("gru", "h0", h0, proj.dtype, b, u);
        float[] keep = keep("gru", mask, b, t);
        Tensor p = dense(proj), r = dense(recurrentKernel), rb = dense(recurrentBias), h = dense(h0);
        Tensor out = Tensor.zeros(proj.dtype, t, b, u);
        Tensor gates = Tensor.zeros(proj.dtype, t, b, 4 * u);
        if (proj.dtype == DType.FLOAT32) {
            RecurrentKernels.gruForward(t, b, u, p.f, p.offset, r.f, r.offset, rb.f, rb.offset, h.f, h.offset, keep, out.f, gates.f);
        } else {
            ScalarRecurrent.gruForward(t, b, u, Buf.of(p.d), p.offset, Buf.of(r.d), r.offset, Buf.of(rb.d), rb.offset, Buf.of(h.d), h.offset,
                    keep, Buf.of(out.d), Buf.of(gates.d));
        }
        return Function.needsGrad(proj, recurrentKernel, recurrentBias, h0)
                ? Function.record(out, new Gru(proj, recurrentKernel, recurrentBias, h0, r, h, keep, out, gates)) : out;
    }

    /** The mask (B, T) as keep flags (T, B), or null. */
    private static float[] keep(String op, Tensor mask, int b, int t) {
        if (mask == null) return null;
        if (!Shape.equal(mask.shape, new int[] {b, t})) {
            throw new IllegalArgumentException(op + ": mask must be (batch, timesteps) = " + Shape.str(new int[] {b, t}) + ", got " + Shape.str(mask.shape));
        }
        double[] m = mask.toDoubleArray();
        float[] keep = new float[t * b];
        for (int row = 0; row < b; row++) for (int s = 0; s < t; s++) keep[s * b + row] = m[row * t + s] != 0 ? 1 : 0;
        return keep;
    }

    private static void expect(String op, String what, Tensor x, DType dtype, int... shape) {
        if (!Shape.equal(x.shape, shape)) {
            throw new IllegalArgumentException(op + ": " + what + " must be " + Shape.str(shape) + " for proj's shape, got " + Shape.str(x.shape));
        }
        if (x.dtype != dtype) throw new IllegalArgumentException(op + ": " + what + " is " + x.dtype + " but proj is " + dtype);
    }

    /** The GRU's backward: BPTT from the saved gates and states. */
    private static final class Gru extends Function {
        private final Tensor r, h0, out, gates;
        private final float[] keep;

        private Gru(Tensor proj, Tensor recurrentKernel, Tensor recurrentBias, Tensor h0In, Tensor r, Tensor h0, float[] keep, Tensor out, Tensor gates) {
            super(proj, recurrentKernel, recurrentBias, h0In);
            this.r = r;
            this.h0 = h0;
            this.keep = keep;
            this.out = out;
            this.gates = gates;
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            int t = out.shape[0], b = out.shape[1], u = out.shape[2];
            Tensor dY = dense(dOut);
            Tensor dProj = Tensor.zeros(out.dtype, t, b, 3 * u);   // (T, B, 3U)
            Tensor dR = Tensor.zeros(out.dtype, u, 3 * u), dRb = Tensor.zeros(out.dtype, 3 * u), dh0 = Tensor.zeros(out.dtype, b, u);
            if (out.dtype == DType.FLOAT32) {
                float[] dy = dY.offset == 0 ? dY.f : java.util.Arrays.copyOfRange(dY.f, dY.offset, dY.offset + dY.size());
                RecurrentKernels.gruBackward(t, b, u, r.f, r.offset, h0.f, h0.offset, keep, out.f, gates.f, dy, dProj.f, dR.f, dRb.f, dh0.f);
            } else {
                double[] dy = dY.offset == 0 ? dY.d : java.util.Arrays.copyOfRange(dY.d, dY.offset, dY.offset + dY.size());
                ScalarRecurrent.gruBackward(t, b, u, Buf.of(r.d), r.offset, Buf.of(h0.d), h0.offset, keep, Buf.of(out.d), Buf.of(gates.d),
                        Buf.of(dy), Buf.of(dProj.d), Buf.of(dR.d), Buf.of(dRb.d), Buf.of(dh0.d));
            }
            return new Tensor[] {wants(0) ? dProj : null, wants(1) ? dR : null, wants(2) ? dRb : null, wants(3) ? dh0 : null};
        }
    }
}
