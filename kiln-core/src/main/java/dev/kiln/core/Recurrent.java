package dev.kiln.core;

import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.RecurrentKernels;
import dev.kiln.core.kernel.ScalarRecurrent;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fused recurrent ops: a whole sequence as one recorded op instead of a dozen tiny ops per time step, so
 * graph bookkeeping and per-step allocations no longer dominate. Backward is backpropagation through time in
 * one pass, from the activated gates saved during forward.
 */
public final class Recurrent {
    private Recurrent() {}

    /**
     * An LSTM over a whole sequence (Hochreiter &amp; Schmidhuber 1997; Keras gate order i, f, c̃, o), input
     * projection included:
     * <pre>
     *   z = x[:, s]·W + b + h·R    i, f, o = σ(z_i, z_f, z_o)   c̃ = tanh(z_c)   c' = f ⊙ c + i ⊙ c̃   h' = o ⊙ tanh(c')
     * </pre>
     * Taking x rather than its projection lets the kernel fold x·W + b into the per-step recurrent GEMM and the
     * weight gradients into one GEMM after the backward loop, with no (T, B, 4U) projection tensor or its
     * gradient. A layer reading backwards reverses {@code x} and {@code mask} itself.
     *
     * @param x               (B, T, F) inputs, batch first as layers hold sequences
     * @param kernel          (F, 4U)
     * @param bias            (4U)
     * @param recurrentKernel (U, 4U)
     * @param h0              (B, U) initial hidden state
     * @param c0              (B, U) initial cell state
     * @param mask            (B, T), or null: where 0 the step is padding and both states carry over unchanged
     *                        (Keras's masking); not differentiated
     * @param workspace       buffers reused across calls (see {@link Workspace}), or null to allocate them
     * @return (T, B, 2U): h of every step in columns [0, U), c in [U, 2U); time first, so a step's rows are contiguous
     */
    public static Tensor lstm(Tensor x, Tensor kernel, Tensor bias, Tensor recurrentKernel, Tensor h0, Tensor c0, Tensor mask, Workspace workspace) {
        return lstm(x, kernel, bias, recurrentKernel, h0, c0, mask, workspace, true);
    }

    /**
     * As {@link #lstm} but returns only the final states, (B, 2U): h in columns [0, U), c in [U, 2U). What a
     * classifier reading the last state needs, without a (T, B, 2U) output and gradient.
     */
    public static Tensor lstmLast(Tensor x, Tensor kernel, Tensor bias, Tensor recurrentKernel, Tensor h0, Tensor c0, Tensor mask,
                                  Workspace workspace) {
        return lstm(x, kernel, bias, recurrentKernel, h0, c0, mask, workspace, false);
    }

    private static Tensor lstm(Tensor x, Tensor kernel, Tensor bias, Tensor recurrentKernel, Tensor h0, Tensor c0, Tensor mask,
                               Workspace ws, boolean allSteps) {
        if (x.rank() != 3) throw new IllegalArgumentException("lstm: x must be (batch, timesteps, features), got " + Shape.str(x.shape));
        if (recurrentKernel.rank() != 2 || recurrentKernel.shape[1] != 4 * recurrentKernel.shape[0]) {
            throw new IllegalArgumentException("lstm: recurrentKernel must be (units, 4·units), got " + Shape.str(recurrentKernel.shape));
        }
        int b = x.shape[0], t = x.shape[1], f = x.shape[2], u = recurrentKernel.shape[0];
        if (t < 1) throw new IllegalArgumentException("lstm: the sequence must have at least one step, got x " + Shape.str(x.shape));
        expect("lstm", "kernel", kernel, x.dtype, f, 4 * u);
        expect("lstm", "bias", bias, x.dtype, 4 * u);
        expect("lstm", "recurrentKernel", recurrentKernel, x.dtype, u, 4 * u);
        expect("lstm", "h0", h0, x.dtype, b, u);
        expect("lstm", "c0", c0, x.dtype, b, u);
        float[] keep = keep("lstm", mask, b, t);
        Tensor xd = dense(x), w = dense(kernel), bd = dense(bias), r = dense(recurrentKernel), h = dense(h0), c = dense(c0);
        boolean record = Function.needsGrad(x, kernel, bias) || Function.needsGrad(recurrentKernel, h0, c0);   // no varargs array
        Tensor last = written(x.dtype, b, 2 * u), seq = allSteps ? written(x.dtype, t, b, 2 * u) : null;
        Tensor out = allSteps ? seq : last;
        if (x.dtype == DType.FLOAT32) {
            int k = RecurrentKernels.lstmRowWidth(f, u);
            int hxT = record ? t * b * k : 0;   // hx, cs, gates, and hxT for backward
            float[][] bufs = ws != null ? ws.take(t * b * k, t * b * u, t * b * 4 * u, hxT)
                    : new float[][] {new float[t * b * k], new float[t * b * u], new float[t * b * 4 * u], new float[hxT]};
            RecurrentKernels.lstmForward(t, b, f, u, xd.f, xd.offset, w.f, w.offset, bd.f, bd.offset, r.f, r.offset, h.f, h.offset, c.f, c.offset,
                    keep, bufs[0], bufs[1], bufs[2], last.f, allSteps ? seq.f : null);
            if (!record) {
                if (ws != null) ws.give(bufs);
                return out;
            }
            return Function.record(out, Lstm.node(out, x, kernel, bias, recurrentKernel, h0, c0, w, r, c, keep, bufs, ws, null, null, null, null));
        }
        Tensor all = allSteps ? seq : Tensor.zeros(x.dtype, t, b, 2 * u), gates = Tensor.zeros(x.dtype, t, b, 4 * u);
        ScalarRecurrent.lstmForward(t, b, f, u, Buf.of(xd.d), xd.offset, Buf.of(w.d), w.offset, Buf.of(bd.d), bd.offset, Buf.of(r.d), r.offset,
                Buf.of(h.d), h.offset, Buf.of(c.d), c.offset, keep, Buf.of(all.d), Buf.of(gates.d));
        if (!allSteps) System.arraycopy(all.d, (t - 1) * b * 2 * u, last.d, 0, b * 2 * u);
        return record ? Function.record(out, Lstm.node(out, x, kernel, bias, recurrentKernel, h0, c0, w, r, c, keep, null, null, xd, h, all, gates)) : out;
    }

    /**
     * An op result that the float32 kernels write whole: lent by the step's {@link StepArena} and not zero-filled, so a
     * warmed-up training step allocates none. float64 results stay fresh zeros, as the scalar twins were written for.
     * The one- and two-dimensional overloads pass no shape array (see {@link Tensor#uninitialized(DType, int, int)}).
     */
    private static Tensor written(DType dt, int d0) {
        return dt == DType.FLOAT32 ? Tensor.uninitialized(dt, d0) : Tensor.zeros(dt, d0);
    }

    private static Tensor written(DType dt, int d0, int d1) {
        return dt == DType.FLOAT32 ? Tensor.uninitialized(dt, d0, d1) : Tensor.zeros(dt, d0, d1);
    }

    private static Tensor written(DType dt, int d0, int d1, int d2) {
        if (dt != DType.FLOAT32) return Tensor.zeros(dt, d0, d1, d2);
        int[] shape = ShapeScratch.of(ShapeScratch.RECURRENT, 3);   // the arena copies it only when it makes a tensor
        shape[0] = d0;
        shape[1] = d1;
        shape[2] = d2;
        return Tensor.uninitializedCopying(dt, shape);
    }

    /** The tensor's own storage when it is contiguous, else a contiguous copy (untracked). */
    private static Tensor dense(Tensor x) {
        return Movement.dense(x);
    }

    /**
     * Buffers a recurrent op reuses from one call to the next: the LSTM's saved activations are tens of megabytes
     * a training step (about 48 MB at batch 128, 100 steps, 16 features, 128 units), which would otherwise be allocated,
     * zeroed and, when a collection falls between forward and backward, copied by the collector every step. A
     * layer owns one and passes it to every call.
     *
     * <p>Lifecycle: a call takes the buffers; an untracked call (inference, or no input needing a gradient) gives
     * them back before it returns; a recorded call keeps them in its graph node until that node's backward has run,
     * then gives them back. A call finding them taken (another graph not yet back-propagated, or another thread)
     * allocates its own, so nothing is ever shared: correctness never depends on how calls interleave. Because the
     * buffers are gone after it, a node's backward runs once (a second one throws, like PyTorch's backward through
     * a freed graph).
     *
     * <p>Thread-safety: safe for concurrent calls (take and give are atomic).
     */
    public static final class Workspace {
        private final AtomicReference<float[][]> free = new AtomicReference<>();

        /** Four buffers of at least the given lengths (contents unspecified): the free set when it is large enough. */
        float[][] take(int n0, int n1, int n2, int n3) {
            float[][] bufs = free.getAndSet(null);
            if (bufs == null || bufs.length != 4) bufs = new float[4][];
            at(bufs, 0, n0);
            at(bufs, 1, n1);
            at(bufs, 2, n2);
            at(bufs, 3, n3);
            return bufs;
        }

        private static void at(float[][] bufs, int i, int length) {
            if (bufs[i] == null || bufs[i].length < length) bufs[i] = new float[length];
        }

        /** Hands buffers back for the next call (a set already there is dropped). */
        void give(float[][] bufs) {
            free.set(bufs);
        }
    }

    /**
     * The LSTM's backward: BPTT from the saved activations. float32 keeps the kernel's buffers (hx, cs, gates; see
     * {@link RecurrentKernels}), float64 the full output and gates of {@link ScalarRecurrent}.
     */
    private static final class Lstm extends Function {
        // Not final: a training step refills last step's node (Tensor#spareNode) instead of making one.
        private Tensor w, r, c0;                 // contiguous forward inputs
        private float[] keep;
        private float[][] bufs;                  // float32: hx, cs, gates, hxT; null once backward has run
        private Workspace ws;
        private Tensor x, h0, seq, gates;        // float64 only
        private boolean spent;
        private final Tensor[] grads = new Tensor[6];

        private Lstm() {
            super(new Tensor[6]);
        }

        static Lstm node(Tensor out, Tensor xIn, Tensor kernelIn, Tensor biasIn, Tensor rIn, Tensor h0In, Tensor c0In, Tensor w, Tensor r,
                         Tensor c0, float[] keep, float[][] bufs, Workspace ws, Tensor x, Tensor h0, Tensor seq, Tensor gates) {
            Lstm n = out.spareNode(Lstm.class, Lstm::new);
            n.inputs[0] = xIn;
            n.inputs[1] = kernelIn;
            n.inputs[2] = biasIn;
            n.inputs[3] = rIn;
            n.inputs[4] = h0In;
            n.inputs[5] = c0In;
            n.spent = false;
            n.w = w;
            n.r = r;
            n.c0 = c0;
            n.keep = keep;
            n.bufs = bufs;
            n.ws = ws;
            n.x = x;
            n.h0 = h0;
            n.seq = seq;
            n.gates = gates;
            return n;
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            if (spent) {
                throw new IllegalStateException("backward ran twice through a fused LSTM; its saved activations are released by the first "
                        + "backward. Run the forward pass again before a second backward");
            }
            spent = true;
            Tensor xIn = inputs[0];
            int b = xIn.shape[0], t = xIn.shape[1], f = xIn.shape[2], u = r.shape[0];
            boolean allSteps = dOut.rank() == 3;
            DType dt = xIn.dtype;
            Tensor dY = dense(dOut);
            Tensor dx = written(dt, b, t, f), dW = written(dt, f, 4 * u), dBias = written(dt, 4 * u);   // both kernels overwrite all six
            Tensor dR = written(dt, u, 4 * u), dh0 = written(dt, b, u), dc0 = written(dt, b, u);
            if (dt == DType.FLOAT32) {
                float[] dy = dY.offset == 0 ? dY.f : java.util.Arrays.copyOfRange(dY.f, dY.offset, dY.offset + dY.size());
                RecurrentKernels.lstmBackward(t, b, f, u, w.f, w.offset, r.f, r.offset, c0.f, c0.offset, keep, bufs[0], bufs[1], bufs[2], bufs[3],
                        allSteps ? dy : null, allSteps ? null : dy, dx.f, dW.f, dBias.f, dR.f, dh0.f, dc0.f);
                if (ws != null) ws.give(bufs);
                bufs = null;
            } else {
                double[] dy = dY.offset == 0 ? dY.d : java.util.Arrays.copyOfRange(dY.d, dY.offset, dY.offset + dY.size());
                ScalarRecurrent.lstmBackward(t, b, f, u, Buf.of(x.d), x.offset, Buf.of(w.d), w.offset, Buf.of(r.d), r.offset, Buf.of(h0.d), h0.offset,
                        Buf.of(c0.d), c0.offset, keep, Buf.of(seq.d), Buf.of(gates.d), allSteps ? Buf.of(dy) : null, allSteps ? null : Buf.of(dy),
                        Buf.of(dx.d), Buf.of(dW.d), Buf.of(dBias.d), Buf.of(dR.d), Buf.of(dh0.d), Buf.of(dc0.d));
            }
            grads[0] = wants(0) ? dx : null;
            grads[1] = wants(1) ? dW : null;
            grads[2] = wants(2) ? dBias : null;
            grads[3] = wants(3) ? dR : null;
            grads[4] = wants(4) ? dh0 : null;
            grads[5] = wants(5) ? dc0 : null;
            return grads;
        }
    }

    /**
     * A GRU over a whole sequence (Cho et al. 2014), Keras's reset_after form with gates z, r, h̃:
     * <pre>
     *   hr = h·R + rb   z = σ(p_z + hr_z)   r = σ(p_r + hr_r)   h̃ = tanh(p_h + r ⊙ hr_h)   h' = h̃ + z ⊙ (h − h̃)
     * </pre>
     * Time runs along the first axis of {@code proj} so that each step's rows are contiguous (what one (T·B, F)·(F, 3U)
     * input projection gives); a layer reading backwards reverses {@code proj} and {@code mask} itself. Masking as
     * {@link #lstm}.
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
        Tensor out = written(proj.dtype, t, b, u);
        Tensor gates = written(proj.dtype, t, b, 4 * u);
        if (proj.dtype == DType.FLOAT32) {
            RecurrentKernels.gruForward(t, b, u, p.f, p.offset, r.f, r.offset, rb.f, rb.offset, h.f, h.offset, keep, out.f, gates.f);
        } else {
            ScalarRecurrent.gruForward(t, b, u, Buf.of(p.d), p.offset, Buf.of(r.d), r.offset, Buf.of(rb.d), rb.offset, Buf.of(h.d), h.offset,
                    keep, Buf.of(out.d), Buf.of(gates.d));
        }
        if (!(Function.needsGrad(proj, recurrentKernel) || Function.needsGrad(recurrentBias, h0))) return out;   // no varargs array
        Gru node = out.spareNode(Gru.class, Gru::new);
        node.inputs[0] = proj;
        node.inputs[1] = recurrentKernel;
        node.inputs[2] = recurrentBias;
        node.inputs[3] = h0;
        node.r = r;
        node.h0 = h;
        node.keep = keep;
        node.out = out;
        node.gates = gates;
        return Function.record(out, node);
    }

    /**
     * The mask (B, T) as keep flags (T, B), or null. The flags live in a (T, B) tensor of the step's arena (kept by the
     * node until its backward has run, within the step), so a masked step allocates nothing for them.
     */
    private static float[] keep(String op, Tensor mask, int b, int t) {
        if (mask == null) return null;
        if (!mask.hasShape(b, t)) {
            throw new IllegalArgumentException(op + ": mask must be (batch, timesteps) = " + Shape.str(new int[] {b, t}) + ", got " + Shape.str(mask.shape));
        }
        float[] keep = Tensor.uninitialized(DType.FLOAT32, t, b).f;
        int rs = mask.strides[0], ss = mask.strides[1];
        for (int row = 0; row < b; row++) {
            for (int s = 0; s < t; s++) keep[s * b + row] = mask.valueAt(mask.offset + row * rs + s * ss) != 0 ? 1 : 0;
        }
        return keep;
    }

    /** {@link #expect(String, String, Tensor, DType, int...)} for one dimension, without a shape array per call. */
    private static void expect(String op, String what, Tensor x, DType dtype, int d0) {
        if (x.shape.length != 1 || x.shape[0] != d0 || x.dtype != dtype) expect(op, what, x, dtype, new int[] {d0});
    }

    /** {@link #expect(String, String, Tensor, DType, int...)} for two dimensions, without a shape array per call. */
    private static void expect(String op, String what, Tensor x, DType dtype, int d0, int d1) {
        if (x.shape.length != 2 || x.shape[0] != d0 || x.shape[1] != d1 || x.dtype != dtype) expect(op, what, x, dtype, new int[] {d0, d1});
    }

    private static void expect(String op, String what, Tensor x, DType dtype, int... shape) {
        if (!Shape.equal(x.shape, shape)) {
            throw new IllegalArgumentException(op + ": " + what + " must be " + Shape.str(shape) + " for the input's shape, got " + Shape.str(x.shape));
        }
        if (x.dtype != dtype) throw new IllegalArgumentException(op + ": " + what + " is " + x.dtype + " but proj is " + dtype);
    }

    /** The GRU's backward: BPTT from the saved gates and states. */
    private static final class Gru extends Function {
        // Not final: a training step refills last step's node (Tensor#spareNode) instead of making one.
        private Tensor r, h0, out, gates;
        private float[] keep;
        private final Tensor[] grads = new Tensor[4];

        private Gru() {
            super(new Tensor[4]);
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            int t = out.shape[0], b = out.shape[1], u = out.shape[2];
            Tensor dY = dense(dOut);
            Tensor dProj = written(out.dtype, t, b, 3 * u);   // (T, B, 3U)
            Tensor dR = written(out.dtype, u, 3 * u), dRb = written(out.dtype, 3 * u), dh0 = written(out.dtype, b, u);
            if (out.dtype == DType.FLOAT32) {
                float[] dy = dY.offset == 0 ? dY.f : java.util.Arrays.copyOfRange(dY.f, dY.offset, dY.offset + dY.size());
                RecurrentKernels.gruBackward(t, b, u, r.f, r.offset, h0.f, h0.offset, keep, out.f, gates.f, dy, dProj.f, dR.f, dRb.f, dh0.f);
            } else {
                double[] dy = dY.offset == 0 ? dY.d : java.util.Arrays.copyOfRange(dY.d, dY.offset, dY.offset + dY.size());
                ScalarRecurrent.gruBackward(t, b, u, Buf.of(r.d), r.offset, Buf.of(h0.d), h0.offset, keep, Buf.of(out.d), Buf.of(gates.d),
                        Buf.of(dy), Buf.of(dProj.d), Buf.of(dR.d), Buf.of(dRb.d), Buf.of(dh0.d));
            }
            grads[0] = wants(0) ? dProj : null;
            grads[1] = wants(1) ? dR : null;
            grads[2] = wants(2) ? dRb : null;
            grads[3] = wants(3) ? dh0 : null;
            return grads;
        }
    }
}
