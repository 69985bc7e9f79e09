package dev.kiln.core;

import java.util.Arrays;

/** Ops that move elements without arithmetic: copy, reshape, permute, slice, expand, concat. */
final class Movement {
    private Movement() {}

    /** Copies {@code src} into {@code dst} (same shape, any strides). No graph. */
    static void copyInto(Tensor src, Tensor dst) {
        copyInto(src, dst, dst.shape, dst.offset);
    }

    /**
     * Copies {@code src} into the part of {@code dst}'s storage that a view of {@code shape} with dst's strides at
     * {@code dstOffset} would show (a slice of dst), without making that view.
     */
    static void copyInto(Tensor src, Tensor dst, int[] shape, int dstOffset) {
        // A reused walk, no lambda: concat, slice gradients and contiguous copies run many times a training step.
        Strided.Walk w = Strided.Walk.take(shape.length, 2).operand(0, src.strides, src.offset).operand(1, dst.strides, dstOffset).start(shape);
        try {
            int is = w.inner(0), id = w.inner(1), n = w.innerLength();
            if (src.f != null && dst.f != null && is == 1 && id == 1) {
                while (w.next()) System.arraycopy(src.f, w.at(0), dst.f, w.at(1), n);
            } else {
                while (w.next()) {
                    int o0 = w.at(0), o1 = w.at(1);
                    for (int i = 0; i < n; i++) dst.set(o1 + i * id, src.valueAt(o0 + i * is));
                }
            }
        } finally {
            w.release();
        }
    }

    /** dst += src (same shape, any strides). No graph. */
    static void addInto(Tensor src, Tensor dst) {
        Strided.Walk w = Strided.Walk.take(dst.shape.length, 2).operand(0, src.strides, src.offset).operand(1, dst.strides, dst.offset).start(dst.shape);
        try {
            int is = w.inner(0), id = w.inner(1), n = w.innerLength();
            while (w.next()) {
                int o0 = w.at(0), o1 = w.at(1);
                for (int i = 0; i < n; i++) dst.set(o1 + i * id, dst.valueAt(o1 + i * id) + src.valueAt(o0 + i * is));
            }
        } finally {
            w.release();
        }
    }

    static Tensor copy(Tensor x) {
        return copy(x, true);
    }

    /**
     * x itself when contiguous, else an untracked contiguous copy: for a kernel that reads only the storage of an
     * operand its own node already keeps (no detached header per call, as {@code x.detach().contiguous()} made).
     */
    static Tensor dense(Tensor x) {
        return x.isContiguous() ? x : copy(x, false);
    }

    /** A contiguous copy, recorded (an Identity node) when {@code track} and x needs a gradient. */
    static Tensor copy(Tensor x, boolean track) {
        Tensor out;
        if (x.f != null && x.isContiguous()) {
            // One run of floats: a plain arraycopy, without the row plan's arrays and lambda (garbage on every call).
            out = Tensor.uninitialized(x.dtype, x.shape);
            System.arraycopy(x.f, x.offset, out.f, 0, out.size());
        } else {
            out = Tensor.uninitialized(x.dtype, x.shape);   // copyInto writes every element
            copyInto(x, out);
        }
        return track && Function.needsGrad(x) ? Function.record(out, Identity.of(out, x)) : out;
    }

    /** Gradient passes straight through (copy, and views of the same shape). */
    static final class Identity extends Function {
        private final Tensor[] grads = new Tensor[1];

        private Identity() {
            super(new Tensor[1]);
        }

        /** The node of {@code out} = a copy of x, refilled from last step's when {@code out} carries one. */
        static Identity of(Tensor out, Tensor x) {
            Identity node = out.spareNode(Identity.class, Identity::new);
            node.inputs[0] = x;
            return node;
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            grads[0] = dOut;
            return grads;
        }
    }

    /** Reshape: a view when the tensor is contiguous, otherwise a copy first. One dimension may be -1. */
    static final class Reshape extends Function {
        private int[] inShape;   // not final: refilled in a training step (see Tensor#spareNode)
        private final Tensor[] grads = new Tensor[1];

        private Reshape() {
            super(new Tensor[1]);
        }

        static Tensor apply(Tensor x, int[] shape) {
            int[] target = resolve(x, shape);
            if (Shape.equal(target, x.shape)) return x;
            // an untracked copy: this op's node covers it
            Tensor c = x.isContiguous() ? x : copy(x, false);
            // The caller's array is copied if kept (a recycled view needs none); one resolve made is kept as is.
            Tensor view = StepArena.view(c, target, target != shape);
            return recorded(x, view);
        }

        /** {@link #apply} to one dimension (-1 for all elements), without a shape array. */
        static Tensor apply(Tensor x, int d0) {
            int n = x.size();
            if (d0 == -1) d0 = n;
            if (d0 != n || d0 < 0) {
                throw new IllegalArgumentException("cannot reshape tensor of shape " + Shape.str(x.shape) + " (" + n
                        + " elements) to [" + d0 + "]");
            }
            if (x.shape.length == 1) return x;
            Tensor c = x.isContiguous() ? x : copy(x, false);
            Tensor view = StepArena.view(c, 1, d0, 0);
            return recorded(x, view);
        }

        /** {@code view} of x, with the node (last step's, refilled, when the view carries one) when x needs a gradient. */
        private static Tensor recorded(Tensor x, Tensor view) {
            if (!Function.needsGrad(x)) return view;
            Reshape node = view.spareNode(Reshape.class, Reshape::new);
            node.inputs[0] = x;
            node.inShape = x.shape;
            return Function.record(view, node);
        }

        /** {@code shape} with its -1 filled in: the same array when it has none, else a new one. */
        static int[] resolve(Tensor x, int[] shape) {
            int[] t = shape;
            int infer = -1;
            long known = 1;
            for (int i = 0; i < t.length; i++) {
                if (t[i] == -1) {
                    if (infer >= 0) throw new IllegalArgumentException("reshape to " + Arrays.toString(shape) + ": only one dimension may be -1");
                    infer = i;
                } else {
                    known *= t[i];
                }
            }
            int n = x.size();
            boolean ok = infer >= 0 ? known > 0 && n % known == 0 : known == n;
            for (int d : t) ok &= d >= -1;
            if (ok && infer >= 0) {
                t = shape.clone();
                t[infer] = (int) (n / known);
            }
            if (!ok) {
                throw new IllegalArgumentException("cannot reshape tensor of shape " + Shape.str(x.shape) + " (" + n
                        + " elements) to " + Arrays.toString(shape));
            }
            return t;
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            grads[0] = dOut.reshape(inShape);
            return grads;
        }
    }

    /** Permutes dimensions as a view (strides reordered, nothing copied). */
    static final class Permute extends Function {
        // Not final: a training step refills last step's node (Tensor#spareNode) instead of making one.
        private int[] inverse = new int[0];
        private final Tensor[] grads = new Tensor[1];

        private Permute() {
            super(new Tensor[1]);
        }

        static Tensor apply(Tensor x, int[] dims) {
            int r = x.rank();
            if (dims.length != r) throw new IllegalArgumentException("permute " + Arrays.toString(dims) + " for rank " + r);
            if (r > 63) throw new IllegalArgumentException("permute takes tensors of rank up to 63, got rank " + r);
            // per-thread shape and strides: a recycled strided view (the arena copies both only when it makes one)
            int[] shape = ShapeScratch.of(ShapeScratch.PERMUTE_SHAPE, r), strides = ShapeScratch.of(ShapeScratch.PERMUTE_STRIDES, r);
            long seen = 0;
            for (int i = 0; i < r; i++) {
                int d = Shape.axis(dims[i], r);
                if ((seen >>> d & 1) != 0) throw new IllegalArgumentException("permute " + Arrays.toString(dims) + " repeats dimension " + d);
                seen |= 1L << d;
                shape[i] = x.shape[d];
                strides[i] = x.strides[d];
            }
            Tensor view = StepArena.stridedView(x, x.offset, shape, strides);
            if (!Function.needsGrad(x)) return view;
            Permute node = view.spareNode(Permute.class, Permute::new);
            if (node.inverse.length != r) node.inverse = new int[r];
            for (int i = 0; i < r; i++) node.inverse[Shape.axis(dims[i], r)] = i;
            node.inputs[0] = x;
            return Function.record(view, node);
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            grads[0] = dOut.permute(inverse);
            return grads;
        }
    }

    /** x[..., start:end, ...] along one axis, as a view. */
    static final class Slice extends Function {
        // Not final: a training step refills last step's node (Tensor#spareNode) instead of making one.
        private int[] inShape;
        private int axis;
        private int start;
        private final Tensor[] grads = new Tensor[1];

        private Slice() {
            super(new Tensor[1]);
        }

        static Tensor apply(Tensor x, int axis, int start, int end) {
            int ax = Shape.axis(axis, x.rank());
            int len = x.shape[ax];
            if (start < 0 || end > len || start > end) {
                throw new IllegalArgumentException("slice [" + start + ", " + end + ") out of range for axis " + axis
                        + " of length " + len + " (shape " + Shape.str(x.shape) + ")");
            }
            int r = x.shape.length;
            int[] shape = ShapeScratch.of(ShapeScratch.SLICE, r);   // stridedView copies it when it makes a view
            System.arraycopy(x.shape, 0, shape, 0, r);
            shape[ax] = end - start;
            // recycled in a training step (the LSTM's h and c are slices of one output every step)
            Tensor view = StepArena.stridedView(x, x.offset + start * x.strides[ax], shape, x.strides);
            if (!Function.needsGrad(x)) return view;
            Slice node = view.spareNode(Slice.class, Slice::new);
            node.inputs[0] = x;
            node.inShape = x.shape;
            node.axis = ax;
            node.start = start;
            return Function.record(view, node);
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            Tensor dX = Tensor.fresh(dOut.dtype, inShape);
            copyInto(dOut, dX, dOut.shape, dX.offset + start * dX.strides[axis]);   // into dX[..., start:end, ...]
            grads[0] = dX;
            return grads;
        }
    }

    /** Broadcasts size-1 (or missing leading) dimensions to a larger shape, as a stride-0 view. */
    static final class Expand extends Function {
        private final int[] inShape;

        private Expand(Tensor x) {
            super(x);
            this.inShape = x.shape;
        }

        static Tensor apply(Tensor x, int[] shape) {
            int[] target = Shape.broadcast(x.shape, shape);
            if (!Shape.equal(target, shape)) {
                throw new IllegalArgumentException("cannot expand shape " + Shape.str(x.shape) + " to " + Shape.str(shape));
            }
            if (Shape.equal(shape, x.shape)) return x;
            Tensor view = new Tensor(x.f, x.d, x.offset, shape.clone(), Shape.broadcastStrides(x.shape, x.strides, shape));
            return Function.needsGrad(x) ? Function.record(view, new Expand(x)) : view;
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            return new Tensor[] {BinaryOp.unbroadcast(dOut, inShape)};
        }
    }

    /** Joins tensors along an existing axis. */
    static final class Concat extends Function {
        // Not final: a training step refills the node its recycled output carried last step (see Tensor#spareNode).
        private int axis;
        private final int[] sizes;
        private final Tensor[] grads;
        /** Last backward's slices of dOut, reused while dOut is the same storage (a recycled gradient): no new views. */
        private final Tensor[] views;

        private Concat(int n) {
            super(new Tensor[n]);
            this.sizes = new int[n];
            this.grads = new Tensor[n];
            this.views = new Tensor[n];
        }

        static Tensor apply(int axis, Tensor... xs) {
            if (xs.length == 0) throw new IllegalArgumentException("concat needs at least one tensor");
            Tensor first = xs[0];
            int ax = Shape.axis(axis, first.rank());
            int total = 0;
            for (int i = 0; i < xs.length; i++) {
                Tensor t = xs[i];
                boolean ok = t.rank() == first.rank() && t.dtype == first.dtype;
                for (int d = 0; ok && d < first.shape.length; d++) ok = d == ax || t.shape[d] == first.shape[d];
                if (!ok) {
                    throw new IllegalArgumentException("concat along axis " + axis + ": tensor " + i + " has shape " + Shape.str(t.shape)
                            + " but tensor 0 has " + Shape.str(first.shape) + "; all dimensions but the axis must match");
                }
                total += t.shape[ax];
            }
            int[] shape = ShapeScratch.of(ShapeScratch.CONCAT, first.shape.length);
            System.arraycopy(first.shape, 0, shape, 0, shape.length);
            shape[ax] = total;
            // the parts cover every element: no zero fill
            Tensor out = Tensor.uninitializedCopying(first.dtype, shape);
            int at = 0;
            for (Tensor x : xs) {
                copyInto(x, out, x.shape, out.offset + at * out.strides[ax]);   // into out[..., at:at+size, ...]
                at += x.shape[ax];
            }
            if (!Function.needsGrad(xs)) return out;
            Concat node = out.spareNode(Concat.class);
            if (node == null || node.inputs.length != xs.length) node = new Concat(xs.length);
            node.axis = ax;
            for (int i = 0; i < xs.length; i++) {   // copied: the caller may reuse its array
                node.inputs[i] = xs[i];
                node.sizes[i] = xs[i].shape[ax];
            }
            return Function.record(out, node);
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            int at = 0;
            for (int i = 0; i < sizes.length; i++) {
                grads[i] = wants(i) ? slice(dOut, i, at) : null;
                at += sizes[i];
            }
            return grads;
        }

        /** dOut[..., at:at+sizes[i], ...]: last step's view when it shows exactly that, else a new one. */
        private Tensor slice(Tensor dOut, int i, int at) {
            Tensor v = views[i];
            if (v != null && v.f == dOut.f && v.d == dOut.d && v.offset == dOut.offset + at * dOut.strides[axis]
                    && v.creator == null && !v.requiresGrad() && showsSlice(v, dOut, sizes[i])) {
                return v;
            }
            return views[i] = dOut.slice(axis, at, at + sizes[i]);
        }

        private boolean showsSlice(Tensor v, Tensor dOut, int size) {
            if (v.shape.length != dOut.shape.length) return false;
            for (int d = 0; d < v.shape.length; d++) {
                if (v.strides[d] != dOut.strides[d] || v.shape[d] != (d == axis ? size : dOut.shape[d])) return false;
            }
            return true;
        }
    }
}
