package dev.kiln.core;

/** out = cond ? a : b element-wise (cond non-zero means true), broadcasting all three. */
final class Where extends Function {
    private final Tensor cond;
    private final Tensor a;
    private final Tensor b;

    private Where(Tensor cond, Tensor a, Tensor b) {
        super(a, b);
        this.cond = cond;
        this.a = a;
        this.b = b;
    }

    static Tensor apply(Tensor cond, Tensor a, Tensor b) {
        if (a.dtype != b.dtype) throw new IllegalArgumentException("where: dtypes differ (" + a.dtype + " vs " + b.dtype + ")");
        int[] shape = Shape.broadcast(Shape.broadcast(cond.shape, a.shape), b.shape);
        Tensor out = Tensor.fresh(a.dtype, shape);
        Strided plan = Strided.plan(shape,
                Shape.broadcastStrides(cond.shape, cond.strides, shape),
                Shape.broadcastStrides(a.shape, a.strides, shape),
                Shape.broadcastStrides(b.shape, b.strides, shape),
                out.strides);
        int sc = plan.inner(0), sa = plan.inner(1), sb = plan.inner(2), so = plan.inner(3);
        plan.forEachRow(new int[] {cond.offset, a.offset, b.offset, 0}, (o, n) -> {
            for (int i = 0; i < n; i++) {
                boolean c = cond.valueAt(o[0] + i * sc) != 0;
                out.set(o[3] + i * so, c ? a.valueAt(o[1] + i * sa) : b.valueAt(o[2] + i * sb));
            }
        });
        return Function.needsGrad(a, b) ? Function.record(out, new Where(cond, a, b)) : out;
    }

    @Override
    protected Tensor[] backward(Tensor dOut) {
        Tensor zero = Tensor.zeros(dOut.dtype);
        Tensor dA = wants(0) ? BinaryOp.unbroadcast(apply(cond, dOut, zero), a.shape) : null;
        Tensor dB = wants(1) ? BinaryOp.unbroadcast(apply(cond, zero, dOut), b.shape) : null;
        return new Tensor[] {dA, dB};
    }
}
