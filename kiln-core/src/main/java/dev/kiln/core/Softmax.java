package dev.kiln.core;

import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.FusedKernels;

/**
 * Softmax along the last axis as one op: forward one kernel (row max, exp, normalise), backward one kernel
 * ({@code dx = y ⊙ (dy − Σ y⊙dy)}, from the output alone). Composed from primitives it recorded four ops (subtract
 * the max, exp, sum, divide) and kept their intermediates for the backward.
 *
 * <p>The result remembers its input ({@link Tensor#softmaxLogits}), so a cross-entropy on these probabilities can
 * read the logits instead, as Keras does: exact for any logits, where probabilities must be clipped.
 */
final class Softmax extends Function {
    private Tensor y;   // the output; not final: a training step refills last step's node (Tensor#spareNode)
    private final Tensor[] grads = new Tensor[1];

    private Softmax() {
        super(new Tensor[1]);
    }

    static Tensor apply(Tensor x) {
        Tensor in = Movement.dense(x);   // read in place when contiguous
        int c = x.shape(-1);
        int rows = c == 0 ? 0 : x.size() / c;
        Tensor y = Tensor.uninitializedCopying(x.dtype, x.shape);
        if (in.f != null) FusedKernels.softmax(in.f, in.offset, rows, c, y.f, 0);
        else FusedKernels.softmaxScalar(Buf.of(in.d), in.offset, rows, c, Buf.of(y.d), 0);
        y.activationOf(x, false);
        if (!Function.needsGrad(x)) return y;
        Softmax node = y.spareNode(Softmax.class, Softmax::new);
        node.inputs[0] = x;
        node.y = y;
        return Function.record(y, node);
    }

    @Override
    protected Tensor[] backward(Tensor dY) {
        Tensor g = Movement.dense(dY);
        int c = y.shape(-1);
        int rows = c == 0 ? 0 : y.size() / c;
        Tensor dX = Tensor.uninitializedCopying(g.dtype, y.shape);
        if (g.f != null) FusedKernels.softmaxBackward(y.f, 0, g.f, g.offset, rows, c, dX.f, 0);
        else FusedKernels.softmaxBackwardScalar(Buf.of(y.d), 0, Buf.of(g.d), g.offset, rows, c, Buf.of(dX.d), 0);
        grads[0] = dX;
        return grads;
    }
}
