package dev.kiln.core;

/** Integer-indexed reads: rows of an embedding table, and one element per row for sparse losses. */
final class Gather {
    private Gather() {}

    private static void check(int[] idx, int limit, String what, int[] shape, int axis) {
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= limit) {
                throw new IndexOutOfBoundsException(what + ": index " + idx[i] + " at position " + i + " is outside [0, " + limit
                        + ") for axis " + axis + " of shape " + Shape.str(shape));
            }
        }
    }

    /**
     * What both index ops' nodes keep: the input's shape, the axis and their own copy of the indices (the caller may
     * reuse its array). Not final: a training step refills the node its recycled output carried last step (see
     * Tensor#spareNode).
     */
    private abstract static class Indexed extends Function {
        int[] inShape;
        int axis;
        int[] idx = new int[0];
        final Tensor[] grads = new Tensor[1];

        Indexed() {
            super(new Tensor[1]);
        }

        final Indexed set(Tensor x, int axis, int[] indices) {
            inputs[0] = x;
            inShape = x.shape;
            this.axis = axis;
            if (idx.length != indices.length) idx = new int[indices.length];
            System.arraycopy(indices, 0, idx, 0, indices.length);
            return this;
        }
    }

    /** out = x.take(indices, axis): the axis dimension becomes {@code indices.length} (torch.index_select). */
    static final class IndexSelect extends Indexed {

        static Tensor apply(Tensor x, int axis, int[] idx) {
            int ax = Shape.axis(axis, x.rank());
            check(idx, x.shape[ax], "indexSelect", x.shape, ax);
            Tensor xc = Movement.dense(x);
            Tensor out;
            if (x.rank() == 2) {   // an embedding table: no shape array per call
                out = ax == 0 ? Tensor.fresh(x.dtype, idx.length, x.shape[1]) : Tensor.fresh(x.dtype, x.shape[0], idx.length);
            } else {
                int[] shape = ShapeScratch.of(ShapeScratch.INDEX_SELECT, x.shape.length);
                System.arraycopy(x.shape, 0, shape, 0, shape.length);
                shape[ax] = idx.length;
                out = Tensor.uninitializedCopying(x.dtype, shape);   // the copies below write every element
            }
            int outer = 1, inner = 1, c = x.shape[ax];
            for (int i = 0; i < ax; i++) outer *= x.shape[i];
            for (int i = ax + 1; i < x.rank(); i++) inner *= x.shape[i];
            for (int o = 0; o < outer; o++) {
                for (int l = 0; l < idx.length; l++) {
                    int src = xc.offset + (o * c + idx[l]) * inner;
                    int dst = (o * idx.length + l) * inner;
                    if (xc.f != null) System.arraycopy(xc.f, src, out.f, dst, inner);
                    else System.arraycopy(xc.d, src, out.d, dst, inner);
                }
            }
            if (!Function.needsGrad(x)) return out;
            return Function.record(out, out.spareNode(IndexSelect.class, IndexSelect::new).set(x, ax, idx));
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            Tensor g = dOut.contiguous();
            Tensor dX = Tensor.fresh(g.dtype, inShape);
            int outer = 1, inner = 1, c = inShape[axis];
            for (int i = 0; i < axis; i++) outer *= inShape[i];
            for (int i = axis + 1; i < inShape.length; i++) inner *= inShape[i];
            for (int o = 0; o < outer; o++) {
                for (int l = 0; l < idx.length; l++) {
                    int dst = (o * c + idx[l]) * inner;      // repeated indices accumulate
                    int src = g.offset + (o * idx.length + l) * inner;
                    for (int r = 0; r < inner; r++) dX.set(dst + r, dX.valueAt(dst + r) + g.valueAt(src + r));
                }
            }
            grads[0] = dX;
            return grads;
        }
    }

    /**
     * One element along {@code axis} per position of the other axes: out has x's shape without the axis,
     * and {@code out[p] = x[p with axis = idx[p]]} (torch.gather followed by squeeze). Sparse losses use it
     * to pick each row's true-class log-probability.
     */
    static final class Along extends Indexed {

        static Tensor apply(Tensor x, int axis, int[] idx) {
            int ax = Shape.axis(axis, x.rank());
            int c = x.shape[ax];
            int outer = 1, inner = 1;
            for (int i = 0; i < ax; i++) outer *= x.shape[i];
            for (int i = ax + 1; i < x.rank(); i++) inner *= x.shape[i];
            if (idx.length != outer * inner) {
                throw new IllegalArgumentException("gatherAlong axis " + axis + " of shape " + Shape.str(x.shape) + " needs "
                        + outer * inner + " indices, got " + idx.length);
            }
            check(idx, c, "gatherAlong", x.shape, ax);
            Tensor xc = Movement.dense(x);
            int[] shape = ShapeScratch.of(ShapeScratch.GATHER_ALONG, x.rank() - 1);
            for (int i = 0, j = 0; i < x.rank(); i++) if (i != ax) shape[j++] = x.shape[i];
            Tensor out = Tensor.uninitializedCopying(x.dtype, shape);   // the loop below writes every element
            for (int o = 0; o < outer; o++) {
                for (int r = 0; r < inner; r++) {
                    int p = o * inner + r;
                    out.set(p, xc.valueAt(xc.offset + (o * c + idx[p]) * inner + r));
                }
            }
            if (!Function.needsGrad(x)) return out;
            return Function.record(out, out.spareNode(Along.class, Along::new).set(x, ax, idx));
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            Tensor g = dOut.contiguous();
            Tensor dX = Tensor.fresh(g.dtype, inShape);
            int c = inShape[axis], inner = 1;
            for (int i = axis + 1; i < inShape.length; i++) inner *= inShape[i];
            for (int p = 0; p < idx.length; p++) {
                int o = p / inner, r = p % inner;
                dX.set((o * c + idx[p]) * inner + r, g.valueAt(g.offset + p));
            }
            grads[0] = dX;
            return grads;
        }
    }
}
