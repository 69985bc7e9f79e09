package dev.kiln.core;

import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.ScalarTransformer;
import dev.kiln.core.kernel.TransformerKernels;

/**
 * GELU in the tanh approximation GPT-2 uses (Hendrycks &amp; Gimpel 2016; Radford et al. 2019),
 * {@code 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))}, as one op; PyTorch's {@code F.gelu(x, approximate="tanh")}.
 * Composed from primitives it recorded seven ops and kept six (B·T, 4D) intermediates alive for the backward;
 * this one keeps only x and recomputes the sigmoid in the backward.
 */
public final class Gelu extends Function {
    private Tensor x;   // contiguous; not final: a training step refills last step's node (Tensor#spareNode)
    private final Tensor[] grads = new Tensor[1];

    private Gelu() {
        super(new Tensor[1]);
    }

    public static Tensor apply(Tensor x) {
        x = x.contiguous();
        Tensor y = Tensor.uninitialized(x.dtype, x.shape);
        if (x.f != null) TransformerKernels.gelu(x.f, x.offset, y.f, 0, y.size());
        else ScalarTransformer.gelu(Buf.of(x.d), x.offset, Buf.of(y.d), 0, y.size());
        if (!Function.needsGrad(x)) return y;
        Gelu node = y.spareNode(Gelu.class, Gelu::new);
        node.inputs[0] = x;
        node.x = x;
        return Function.record(y, node);
    }

    @Override
    protected Tensor[] backward(Tensor dY) {
        Tensor g = dY.contiguous();
        Tensor dX = Tensor.uninitialized(g.dtype, x.shape);
        if (g.f != null) TransformerKernels.geluBackward(x.f, x.offset, g.f, g.offset, dX.f, 0, dX.size());
        else ScalarTransformer.geluBackward(Buf.of(x.d), x.offset, Buf.of(g.d), g.offset, Buf.of(dX.d), 0, dX.size());
        grads[0] = dX;
        return grads;
    }
}
