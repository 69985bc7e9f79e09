package dev.kiln.core;

import dev.kiln.core.kernel.BinaryKind;
import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.Elementwise;
import dev.kiln.core.kernel.ScalarKernels;
import java.util.Arrays;

/** Reductions over a set of axes: sum and max, each with its backward beside it. */
final class Reduce {
    private Reduce() {}

    /** Shape with the reduced axes kept as size 1. */
    static int[] keptShape(int[] shape, boolean[] reduced) {
        int[] s = shape.clone();
        for (int i = 0; i < s.length; i++) if (reduced[i]) s[i] = 1;
        return s;
    }

    static int[] droppedShape(int[] shape, boolean[] reduced) {
        int n = 0;
        for (boolean r : reduced) if (!r) n++;
        int[] s = new int[n];
        for (int i = 0, j = 0; i < shape.length; i++) if (!reduced[i]) s[j++] = shape[i];
        return s;
    }

    static boolean[] axesMask(int rank, int[] axes) {
        boolean[] m = new boolean[rank];
        if (axes == null) {
            Arrays.fill(m, true);
            return m;
        }
        for (int a : axes) {
            int ax = Shape.axis(a, rank);
            if (m[ax]) throw new IllegalArgumentException("axis " + a + " given twice in " + Arrays.toString(axes));
            m[ax] = true;
        }
        return m;
    }

    /** Reduces into a keep-dims shaped output; {@code max} selects max instead of sum. */
    private static Tensor reduce(Tensor x, boolean[] reduced, boolean max) {
        int[] kept = keptShape(x.shape, reduced);
        Tensor out = Tensor.fresh(x.dtype, kept);
        if (max) out.fillInPlace(Float.NEGATIVE_INFINITY);
        // A reused walk, no lambda: layer norms, losses and bias gradients reduce many times a training step.
        Strided.Walk w = Strided.Walk.take(x.shape.length, 2).operand(0, x.strides, x.offset).operand(1, out.strides, 0);
        for (int i = 0; i < reduced.length; i++) if (reduced[i]) w.hold(1, i);
        w.start(x.shape);
        try {
            int ix = w.inner(0), io = w.inner(1), n = w.innerLength();
            if (x.f != null && ix == 1 && io == 0) {
                while (w.next()) {
                    int o0 = w.at(0), o1 = w.at(1);
                    out.f[o1] = max ? Math.max(out.f[o1], Elementwise.max(x.f, o0, n)) : out.f[o1] + Elementwise.sum(x.f, o0, n);
                }
            } else if (x.f != null && ix == 1 && io == 1) {
                while (w.next()) {
                    if (max) Elementwise.maxInPlace(out.f, w.at(1), x.f, w.at(0), n);
                    else Elementwise.addInPlace(out.f, w.at(1), x.f, w.at(0), n);
                }
            } else {
                Buf bx = BinaryOp.buf(x), bo = BinaryOp.buf(out);
                while (w.next()) {
                    if (max) ScalarKernels.maxInto(bx, w.at(0), ix, bo, w.at(1), io, n);
                    else ScalarKernels.sumInto(bx, w.at(0), ix, bo, w.at(1), io, n);
                }
            }
        } finally {
            w.release();
        }
        return out;
    }

    /** Sum over {@code axes} (all when null). */
    static final class Sum extends Function {
        private final int[] inShape;
        private final int[] kept;

        private Sum(Tensor x, int[] kept) {
            super(x);
            this.inShape = x.shape;
            this.kept = kept;
        }

        static Tensor apply(Tensor x, int[] axes, boolean keepDims) {
            boolean[] r = axesMask(x.rank(), axes);
            Tensor out = reduce(x, r, false);
            if (!keepDims) out = out.viewAs(droppedShape(x.shape, r));
            return Function.needsGrad(x) ? Function.record(out, new Sum(x, keptShape(x.shape, r))) : out;
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            return new Tensor[] {dOut.reshape(kept).expand(inShape)};
        }
    }

    /** Max over {@code axes}; ties share the gradient evenly (like PyTorch's amax). */
    static final class Max extends Function {
        private final Tensor x;
        private final Tensor keptOut;

        private Max(Tensor x, Tensor keptOut) {
            super(x);
            this.x = x;
            this.keptOut = keptOut;
        }

        static Tensor apply(Tensor x, int[] axes, boolean keepDims) {
            boolean[] r = axesMask(x.rank(), axes);
            if (x.size() == 0) throw new IllegalArgumentException("max of an empty tensor of shape " + Shape.str(x.shape));
            Tensor kept = reduce(x, r, true);
            Tensor out = keepDims ? kept : kept.viewAs(droppedShape(x.shape, r));
            if (!Function.needsGrad(x)) return out;
            Tensor result = keepDims ? kept.detach() : out;
            return Function.record(result, new Max(x, kept));
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            Tensor mask = BinaryOp.apply(BinaryKind.EQ, x, keptOut);
            int[] axes = reducedAxes();
            Tensor count = axes == null ? mask : mask.sum(axes, true);
            return new Tensor[] {dOut.reshape(keptOut.shape).mul(mask).div(count)};
        }

        private int[] reducedAxes() {
            int n = 0;
            int[] a = new int[x.rank()];
            for (int i = 0; i < x.rank(); i++) if (keptOut.shape[i] == 1 && x.shape[i] != 1) a[n++] = i;
            return n == 0 ? null : Arrays.copyOf(a, n);
        }
    }
}
