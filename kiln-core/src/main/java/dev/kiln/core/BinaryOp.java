package dev.kiln.core;

import dev.kiln.core.kernel.BinaryKind;
import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.Elementwise;
import dev.kiln.core.kernel.ScalarKernels;

/** out = a (op) b element-wise with NumPy broadcasting; gradients are summed back to each input's shape. */
final class BinaryOp extends Function {
    // Not final: a training step refills last step's node (Tensor#spareNode) instead of making one.
    private BinaryKind kind;
    private Tensor a;
    private Tensor b;
    private Tensor out;
    private final Tensor[] grads = new Tensor[2];

    private BinaryOp() {
        super(new Tensor[2]);
    }

    static Tensor apply(BinaryKind kind, Tensor a, Tensor b) {
        if (a.dtype != b.dtype) {
            throw new IllegalArgumentException(kind + ": dtypes differ (" + a.dtype + " vs " + b.dtype + "); convert one with to(DType)");
        }
        int[] shape = broadcast(a.shape, b.shape);
        Tensor out = Tensor.uninitialized(a.dtype, shape);   // the walk writes every element: no zero fill
        // A reused walk, no lambda: an op a training step runs hundreds of times (residual adds, biases, their gradients).
        Strided.Walk w = Strided.Walk.take(shape.length, 3)
                .operand(0, a.shape, a.strides, shape, a.offset)
                .operand(1, b.shape, b.strides, shape, b.offset)
                .operand(2, out.strides, 0)
                .start(shape);
        try {
            int ia = w.inner(0), ib = w.inner(1), io = w.inner(2), n = w.innerLength();
            if (a.f != null && n == 1) {
                // a scalar result (a loss, its mean, a scalar's gradient): the strides are 0 and do not matter
                while (w.next()) Elementwise.binary(kind, a.f, w.at(0), 0, b.f, w.at(1), 0, out.f, w.at(2), 1);
            } else if (a.f != null && (ia | 1) == 1 && (ib | 1) == 1 && io == 1) {
                while (w.next()) Elementwise.binary(kind, a.f, w.at(0), ia, b.f, w.at(1), ib, out.f, w.at(2), n);
            } else {
                Buf ba = buf(a), bb = buf(b), bo = buf(out);
                while (w.next()) ScalarKernels.binary(kind, ba, w.at(0), ia, bb, w.at(1), ib, bo, w.at(2), io, n);
            }
        } finally {
            w.release();
        }
        if (!Function.needsGrad(a, b) || kind == BinaryKind.EQ || kind == BinaryKind.GT) return out;
        BinaryOp node = out.spareNode(BinaryOp.class, BinaryOp::new);
        node.inputs[0] = a;
        node.inputs[1] = b;
        node.kind = kind;
        node.a = a;
        node.b = b;
        node.out = out;
        return Function.record(out, node);
    }

    /** {@link Shape#broadcast}, but an operand's own shape array when it is the result (most calls): no new array. */
    private static int[] broadcast(int[] a, int[] b) {
        if (stretchesTo(b, a)) return a;
        if (stretchesTo(a, b)) return b;
        return Shape.broadcast(a, b);
    }

    /** Whether {@code small} broadcast against {@code big} gives {@code big}: each trailing dim equal or 1. */
    private static boolean stretchesTo(int[] small, int[] big) {
        if (small.length > big.length) return false;
        int lead = big.length - small.length;
        for (int i = 0; i < small.length; i++) if (small[i] != 1 && small[i] != big[i + lead]) return false;
        return true;
    }

    static Buf buf(Tensor t) {
        return t.f != null ? Buf.of(t.f) : Buf.of(t.d);
    }

    @Override
    protected Tensor[] backward(Tensor dOut) {
        Tensor dA = null, dB = null;
        switch (kind) {
            case ADD -> {
                dA = dOut;
                dB = dOut;
            }
            case SUB -> {
                dA = dOut;
                if (wants(1)) dB = dOut.neg();
            }
            case MUL -> {
                if (wants(0)) dA = dOut.mul(b);
                if (wants(1)) dB = dOut.mul(a);
            }
            case DIV -> {
                if (wants(0)) dA = dOut.div(b);
                if (wants(1)) dB = dOut.mul(out).div(b).neg();        // d(a/b)/db = -a/b² = -out/b
            }
            case MAX, MIN -> {
                // Ties split the gradient evenly, as PyTorch's maximum/minimum do.
                Tensor first = kind == BinaryKind.MAX ? apply(BinaryKind.GT, a, b) : apply(BinaryKind.GT, b, a);
                Tensor mask = first.add(apply(BinaryKind.EQ, a, b).mul(0.5f));
                if (wants(0)) dA = dOut.mul(mask);
                if (wants(1)) dB = dOut.mul(mask.neg().add(1f));
            }
            case POW -> {
                if (wants(0)) dA = dOut.mul(b).mul(a.pow(b.sub(1f)));  // b·a^(b-1)
                if (wants(1)) dB = dOut.mul(out).mul(a.log());          // a^b·ln a
            }
            case EQ, GT -> { }
        }
        grads[0] = dA == null ? null : unbroadcast(dA, a.shape);
        grads[1] = dB == null ? null : unbroadcast(dB, b.shape);
        return grads;
    }

    /** Sums {@code g} over the dimensions that broadcasting expanded, giving a tensor of {@code shape}. */
    static Tensor unbroadcast(Tensor g, int[] shape) {
        if (Shape.equal(g.shape, shape)) return g;
        int extra = g.shape.length - shape.length;
        long axes = 0;   // the broadcast axes as bits: no array per gradient
        for (int i = 0; i < g.shape.length; i++) {
            if (i < extra || (shape[i - extra] == 1 && g.shape[i] != 1)) axes |= 1L << i;
        }
        Tensor s = axes == 0 ? g : Reduce.Sum.apply(g, axes, true);
        return s.reshape(shape);
    }
}
