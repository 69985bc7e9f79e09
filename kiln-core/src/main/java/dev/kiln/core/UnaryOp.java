package dev.kiln.core;

import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.Elementwise;
import dev.kiln.core.kernel.ScalarKernels;
import dev.kiln.core.kernel.UnaryKind;

/** y = f(x) element-wise; forward and, per function, the derivative side by side. */
final class UnaryOp extends Function {
    // Not final: a training step refills last step's node (Tensor#spareNode) instead of making one.
    private UnaryKind kind;
    private Tensor x;
    private Tensor y;
    private final Tensor[] grads = new Tensor[1];

    private UnaryOp() {
        super(new Tensor[1]);
    }

    static Tensor apply(UnaryKind kind, Tensor x) {
        Tensor xc = Movement.dense(x);
        Tensor y = Tensor.uninitialized(x.dtype, x.shape);   // the kernel writes every element: no zero fill
        int n = y.size();
        if (xc.f != null) Elementwise.unary(kind, xc.f, xc.offset, y.f, 0, n);
        else ScalarKernels.unary(kind, Buf.of(xc.d), xc.offset, 1, Buf.of(y.d), 0, 1, n);
        if (!Function.needsGrad(x)) return y;
        UnaryOp node = y.spareNode(UnaryOp.class, UnaryOp::new);
        node.inputs[0] = x;
        node.kind = kind;
        node.x = x;
        node.y = y;
        return Function.record(y, node);
    }

    @Override
    protected Tensor[] backward(Tensor dY) {
        Tensor dX = switch (kind) {
            case NEG -> dY.neg();
            case EXP -> dY.mul(y);                                   // d e^x = e^x
            case LOG -> dY.div(x);                                   // d ln x = 1/x
            case SQRT -> dY.div(y.mul(2f));                          // d √x = 1/(2√x)
            case ABS -> dY.mul(x.map(UnaryKind.SIGN));
            case RELU -> dY.mul(x.map(UnaryKind.STEP));
            case SIGMOID -> dY.mul(y.mul(y.neg().add(1f)));          // σ(1-σ)
            case TANH -> dY.mul(y.mul(y).neg().add(1f));             // 1 - tanh²
            case SIGN, STEP -> null;                                 // piecewise constant
        };
        grads[0] = dX;
        return grads;
    }
}
