package dev.kiln.core;

import dev.kiln.core.kernel.BinaryKind;
import dev.kiln.core.kernel.Elementwise;
import dev.kiln.core.kernel.ScalarKernels;

/**
 * y = x · mask for a mask of x's own shape ({@link Tensor#dropout}); dX = dY · mask. Its own op rather than a
 * broadcasting {@code mul} so that a training step's dropout refills last step's node (Tensor#spareNode) and result:
 * with the mask from the step arena too, a Dropout layer allocates nothing per step.
 */
final class DropoutOp extends Function {
    private Tensor mask;   // not final: refilled in a training step
    private final Tensor[] grads = new Tensor[1];

    private DropoutOp() {
        super(new Tensor[1]);
    }

    /** x · mask; {@code mask} is contiguous, of x's shape and dtype. */
    static Tensor apply(Tensor x, Tensor mask) {
        Tensor y = times(x, mask);
        if (!Function.needsGrad(x)) return y;
        DropoutOp node = y.spareNode(DropoutOp.class);
        if (node == null) node = new DropoutOp();
        node.inputs[0] = x;
        node.mask = mask;
        return Function.record(y, node);
    }

    /** a · mask into a new contiguous tensor of a's shape. */
    private static Tensor times(Tensor a, Tensor mask) {
        Tensor ac = a.isContiguous() ? a : a.detach().contiguous();
        Tensor out = Tensor.uninitialized(a.dtype, a.shape);
        int n = out.size();
        if (out.f != null) Elementwise.binary(BinaryKind.MUL, ac.f, ac.offset, 1, mask.f, mask.offset, 1, out.f, 0, n);
        else ScalarKernels.binary(BinaryKind.MUL, BinaryOp.buf(ac), ac.offset, 1, BinaryOp.buf(mask), mask.offset, 1, BinaryOp.buf(out), 0, 1, n);
        return out;
    }

    @Override
    protected Tensor[] backward(Tensor dOut) {
        grads[0] = times(dOut, mask);
        return grads;
    }
}
