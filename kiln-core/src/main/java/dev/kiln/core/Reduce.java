package dev.kiln.core;

import dev.kiln.core.kernel.BinaryKind;
import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.Elementwise;
import dev.kiln.core.kernel.ScalarKernels;
import java.util.Arrays;

/** Reductions over a set of axes: sum and max, each with its backward beside it. */
final class Reduce {
    private Reduce() {}

    /**
     * The reduced axes as bits (bit i: axis i), all of them when {@code axes} is null: a long rather than a boolean[]
     * per call, as losses, layer norms and bias gradients reduce many times a training step.
     */
    static long axesBits(int rank, int[] axes) {
        if (rank > 63) throw new IllegalArgumentException("reductions take tensors of rank up to 63, got rank " + rank);
        if (axes == null) return rank == 0 ? 0 : -1L >>> (64 - rank);
        long bits = 0;
        for (int a : axes) {
            long bit = 1L << Shape.axis(a, rank);
            if ((bits & bit) != 0) throw new IllegalArgumentException("axis " + a + " given twice in " + Arrays.toString(axes));
            bits |= bit;
        }
        return bits;
    }

    static long axisBit(int rank, int axis) {
        return axesBits(rank, null) & (1L << Shape.axis(axis, rank));
    }

    /** Shape with the reduced axes kept as size 1, in a per-thread array (copy it to keep it). */
    static int[] keptShape(int[] shape, long reduced) {
        int[] s = ShapeScratch.of(ShapeScratch.REDUCE_KEPT, shape.length);
        for (int i = 0; i < s.length; i++) s[i] = (reduced >>> i & 1) != 0 ? 1 : shape[i];
        return s;
    }

    /** Shape with the reduced axes removed, in a per-thread array (copy it to keep it). */
    static int[] droppedShape(int[] shape, long reduced) {
        int[] s = ShapeScratch.of(ShapeScratch.REDUCE_DROPPED, shape.length - Long.bitCount(reduced));
        for (int i = 0, j = 0; i < shape.length; i++) if ((reduced >>> i & 1) == 0) s[j++] = shape[i];
        return s;
    }

    /** Reduces into a keep-dims shaped output; {@code max} selects max instead of sum. */
    private static Tensor reduce(Tensor x, long reduced, boolean max) {
        int[] kept = keptShape(x.shape, reduced);
        Tensor out = Tensor.uninitializedCopying(x.dtype, kept).fillInPlace(max ? Float.NEGATIVE_INFINITY : 0f);
        // A reused walk, no lambda: layer norms, losses and bias gradients reduce many times a training step.
        Strided.Walk w = Strided.Walk.take(x.shape.length, 2).operand(0, x.strides, x.offset).operand(1, out.strides, 0);
        for (int i = 0; i < x.shape.length; i++) if ((reduced >>> i & 1) != 0) w.hold(1, i);
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
        // Not final: a training step refills last step's node (Tensor#spareNode) instead of making one.
        private int[] inShape;
        private int[] kept;
        private Tensor expanded, expandedOf;   // the last backward's result and the gradient it views
        private final Tensor[] grads = new Tensor[1];

        private Sum() {
            super(new Tensor[1]);
        }

        static Tensor apply(Tensor x, int[] axes, boolean keepDims) {
            return apply(x, axesBits(x.rank(), axes), keepDims);
        }

        static Tensor apply(Tensor x, long reduced, boolean keepDims) {
            Tensor kept = reduce(x, reduced, false), out = kept;
            if (!keepDims) out = StepArena.view(kept, droppedShape(x.shape, reduced), false);
            if (!Function.needsGrad(x)) return out;
            Sum node = out.spareNode(Sum.class, Sum::new);
            node.inputs[0] = x;
            node.inShape = x.shape;
            node.kept = kept.shape;   // shapes never change, so the array outlives a recycled tensor safely
            return Function.record(out, node);
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            Tensor d = dOut.reshape(kept);
            // A step's gradients come from its arena, so this node (refilled every step) usually sees the same d
            // again: its broadcast view (a header over d's storage, stride 0 along the reduced axes) is kept.
            if (d != expandedOf || !Shape.equal(expanded.shape, inShape)) {
                expanded = d.expand(inShape);
                expandedOf = d;
            }
            grads[0] = expanded;
            return grads;
        }
    }

    /** Max over {@code axes}; ties share the gradient evenly (like PyTorch's amax). */
    static final class Max extends Function {
        // Not final: a training step refills the node its recycled output carried last step (see Tensor#spareNode).
        private Tensor x;
        private Tensor keptOut;
        private long reduced;   // the reduced axes as bits
        private final Tensor[] grads = new Tensor[1];

        private Max() {
            super(new Tensor[1]);
        }

        private Max set(Tensor x, Tensor keptOut, long reduced) {
            inputs[0] = x;
            this.x = x;
            this.keptOut = keptOut;
            this.reduced = reduced;
            return this;
        }

        static Tensor apply(Tensor x, int[] axes, boolean keepDims) {
            return apply(x, axesBits(x.rank(), axes), keepDims);
        }

        /**
         * The max over the reduced axes, kept as size 1, as a constant of the graph (no node): what softmax subtracts
         * for stability, where {@code max(axis, true).detach()} would record a node and then drop it.
         */
        static Tensor constant(Tensor x, long r) {
            if (x.size() == 0) throw new IllegalArgumentException("max of an empty tensor of shape " + Shape.str(x.shape));
            return reduce(x, r, true);
        }

        static Tensor apply(Tensor x, long r, boolean keepDims) {
            if (x.size() == 0) throw new IllegalArgumentException("max of an empty tensor of shape " + Shape.str(x.shape));
            Tensor kept = reduce(x, r, true);
            Tensor out = keepDims ? kept : StepArena.view(kept, droppedShape(x.shape, r), false);
            if (!Function.needsGrad(x)) return out;
            // keepDims: a view of kept (recycled in a step) carries the node, kept itself stays plain data for backward
            Tensor result = keepDims ? StepArena.view(kept, kept.shape, false) : out;
            return Function.record(result, result.spareNode(Max.class, Max::new).set(x, kept, reducedBits(x, kept)));
        }

        /** The axes reduced to one that were longer, as bits (none: the max of size-1 axes, every element its own max). */
        private static long reducedBits(Tensor x, Tensor kept) {
            long bits = 0;
            for (int i = 0; i < x.rank(); i++) if (kept.shape[i] == 1 && x.shape[i] != 1) bits |= 1L << i;
            return bits;
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            Tensor mask = BinaryOp.apply(BinaryKind.EQ, x, keptOut);
            Tensor count = reduced == 0 ? mask : Sum.apply(mask, reduced, true);
            grads[0] = dOut.reshape(keptOut.shape).mul(mask).div(count);
            return grads;
        }
    }
}
