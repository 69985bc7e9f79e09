package dev.kiln.core;

import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.FusedKernels;
import dev.kiln.core.kernel.Gemm;
import dev.kiln.core.kernel.ScalarKernels;

/**
 * A fully connected layer's arithmetic as one op: {@code y = x · W + b}, optionally followed by ReLU, with the bias
 * and ReLU applied in an epilogue pass over the GEMM output. The composed form (matmul, add, relu) records three
 * ops and makes four extra passes plus a comparison tensor in backward; this one records one op, and its backward
 * masks dY and sums the bias gradient in one pass, then runs the two GEMMs for dX and dW into fresh tensors.
 *
 * <p>x is (B, in), W is (in, units), b is (units) or null; the result is (B, units).
 */
public final class Linear extends Function {
    // Not final: a training step refills the node its recycled output carried last step (see Tensor#spareNode).
    private Tensor x;     // (B, in), contiguous
    private Tensor w;     // (in, units), contiguous
    private Tensor b;     // (units) or null
    private Tensor y;     // (B, units), the output (read for the ReLU mask)
    private boolean relu;
    private final Tensor[] grads = new Tensor[3];   // backward's result, refilled on each call

    private Linear() {
        super(new Tensor[3]);
    }

    private Linear set(Tensor x, Tensor w, Tensor b, Tensor y, boolean relu) {
        inputs[0] = this.x = x;
        inputs[1] = this.w = w;
        inputs[2] = this.b = b;
        this.y = y;
        this.relu = relu;
        return this;
    }

    /** {@code x · W + b} (b may be null). */
    public static Tensor affine(Tensor x, Tensor w, Tensor b) {
        return apply(x, w, b, false);
    }

    /** {@code relu(x · W + b)} (b may be null). */
    public static Tensor affineRelu(Tensor x, Tensor w, Tensor b) {
        return apply(x, w, b, true);
    }

    /** Up to this many units, backward lays Wᵀ out itself for dX (see there). */
    private static final int SHORT = 16;

    private static Tensor apply(Tensor x, Tensor w, Tensor b, boolean relu) {
        if (x.rank() != 2 || w.rank() != 2 || x.shape[1] != w.shape[0]) {
            throw new IllegalArgumentException("linear: needs x (batch, in) and W (in, units), got " + Shape.str(x.shape) + " and "
                    + Shape.str(w.shape) + "; reshape the input to rank 2 or check the kernel's first dimension");
        }
        int rows = x.shape[0], in = x.shape[1], units = w.shape[1];
        if (b != null && (b.rank() != 1 || b.shape[0] != units)) {
            throw new IllegalArgumentException("linear: bias of shape " + Shape.str(b.shape) + " for " + units + " units; expected (" + units + ")");
        }
        if (x.dtype != w.dtype || (b != null && b.dtype != w.dtype)) throw new IllegalArgumentException("linear: dtypes differ");
        x = x.contiguous();   // tracked copies where needed, so the gradient flows back through them
        w = w.contiguous();
        if (b != null) b = b.contiguous();
        Tensor y = Tensor.uninitialized(x.dtype, rows, units);   // (B, units); the GEMM writes every element
        if (x.f != null) {
            Gemm.gemm(false, false, rows, units, in, x.f, x.offset, in, w.f, w.offset, units, y.f, 0, units, false);
            FusedKernels.biasRelu(y.f, 0, rows, units, b == null ? null : b.f, b == null ? 0 : b.offset, relu);
        } else {
            ScalarKernels.gemm(false, false, rows, units, in, Buf.of(x.d), x.offset, in, Buf.of(w.d), w.offset, units, Buf.of(y.d), 0, units, false);
            FusedKernels.biasReluScalar(Buf.of(y.d), 0, rows, units, b == null ? null : Buf.of(b.d), b == null ? 0 : b.offset, relu);
        }
        if (!Function.needsGrad(x, w, b)) return y;
        return Function.record(y, y.spareNode(Linear.class, Linear::new).set(x, w, b, y, relu));
    }

    @Override
    protected Tensor[] backward(Tensor dOut) {
        int rows = x.shape[0], in = x.shape[1], units = w.shape[1];
        Tensor g = dOut.contiguous();                                         // dY (B, units)
        Tensor dZ = relu ? Tensor.uninitialized(g.dtype, rows, units) : g;    // dY masked by y > 0 (every element)
        Tensor dB = wants(2) ? Tensor.fresh(g.dtype, units) : null;           // summed into
        if (relu || dB != null) {
            if (g.f != null) {
                FusedKernels.reluMaskColumnSum(g.f, g.offset, y.f, 0, rows, units, relu, relu ? dZ.f : null, 0, dB == null ? null : dB.f, 0);
            } else {
                FusedKernels.reluMaskColumnSumScalar(Buf.of(g.d), g.offset, Buf.of(y.d), 0, rows, units, relu,
                        relu ? Buf.of(dZ.d) : null, 0, dB == null ? null : Buf.of(dB.d), 0);
            }
        }
        Tensor dX = wants(0) ? Tensor.uninitialized(g.dtype, rows, in) : null;    // dX = dZ · Wᵀ
        Tensor dW = wants(1) ? Tensor.uninitialized(g.dtype, in, units) : null;   // dW = xᵀ · dZ
        if (g.f != null) {
            if (dX != null && units > SHORT) {
                // W as it lies, op(B) = Wᵀ: the GEMM packs a transposed B into per-thread scratch, with the same bits.
                // Laying Wᵀ out here first cost more than the product: 32×128·(128×128)ᵀ 21.6 → 12.0 µs a step,
                // 64×128·(1600×128)ᵀ 325 → 147 (2 threads).
                Gemm.gemm(false, true, rows, in, units, dZ.f, dZ.offset, units, w.f, w.offset, units, dX.f, 0, in, false);
            } else if (dX != null) {
                // A few units (a classifier's head): Wᵀ laid out here, one row of Wᵀ at a time (contiguous writes: 0.75
                // against 1.0 µs for 128×10 column by column), then a plain product. The GEMM would transpose a short
                // K with vector code that only this product runs, once a step, so it would reach C2 late and box its
                // vectors until then; this is 1.7 against 1.3 µs for the head's dX, of a ~300 µs step.
                Tensor wt = Tensor.uninitialized(w.dtype, units, in);
                for (int j = 0; j < units; j++) {
                    for (int i = 0, src = w.offset + j, dst = wt.offset + j * in; i < in; i++, src += units) wt.f[dst + i] = w.f[src];
                }
                Gemm.gemm(false, false, rows, in, units, dZ.f, dZ.offset, units, wt.f, wt.offset, in, dX.f, 0, in, false);
            }
            if (dW != null) Gemm.gemm(true, false, in, units, rows, x.f, x.offset, in, dZ.f, dZ.offset, units, dW.f, 0, units, false);
        } else {
            if (dX != null) ScalarKernels.gemm(false, true, rows, in, units, Buf.of(dZ.d), dZ.offset, units, Buf.of(w.d), w.offset, units,
                    Buf.of(dX.d), 0, in, false);
            if (dW != null) ScalarKernels.gemm(true, false, in, units, rows, Buf.of(x.d), x.offset, in, Buf.of(dZ.d), dZ.offset, units,
                    Buf.of(dW.d), 0, units, false);
        }
        grads[0] = dX;
        grads[1] = dW;
        grads[2] = dB;
        return grads;
    }
}
