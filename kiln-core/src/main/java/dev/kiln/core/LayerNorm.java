package dev.kiln.core;

import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.ScalarTransformer;
import dev.kiln.core.kernel.TransformerKernels;

/**
 * Layer normalisation over the last axis (Ba, Kiros &amp; Hinton 2016) as one op:
 * {@code y = (x − mean)/√(var + ε)·gamma + beta}, biased variance. The composed form recorded eight ops and made
 * about twenty passes over (rows, C) forward and backward; this one saves the per-row mean and 1/σ and does one
 * pass each way (two for the statistics). x is (..., C), gamma and beta are (C).
 */
public final class LayerNorm extends Function {
    // Not final: a training step refills last step's node (Tensor#spareNode) instead of making one.
    private Tensor x;       // contiguous (..., C)
    private Tensor gamma;   // contiguous (C)
    private Tensor mean;    // (rows)
    private Tensor rstd;    // (rows)
    private final Tensor[] grads = new Tensor[3];

    private LayerNorm() {
        super(new Tensor[3]);
    }

    public static Tensor apply(Tensor x, Tensor gamma, Tensor beta, double epsilon) {
        int c = x.rank() == 0 ? 0 : x.shape[x.rank() - 1];
        if (x.rank() == 0 || gamma.rank() != 1 || beta.rank() != 1 || gamma.shape[0] != c || beta.shape[0] != c) {
            throw new IllegalArgumentException("layer norm: needs x (..., C) with gamma and beta of shape (C), got " + Shape.str(x.shape)
                    + ", " + Shape.str(gamma.shape) + " and " + Shape.str(beta.shape));
        }
        if (x.dtype != gamma.dtype || x.dtype != beta.dtype) throw new IllegalArgumentException("layer norm: dtypes differ");
        x = x.contiguous();
        gamma = gamma.contiguous();
        beta = beta.contiguous();
        int rows = c == 0 ? 0 : x.size() / c;
        Tensor y = Tensor.uninitialized(x.dtype, x.shape);                  // the kernels write every element
        Tensor mean = Tensor.uninitialized(x.dtype, rows), rstd = Tensor.uninitialized(x.dtype, rows);
        if (x.f != null) {
            TransformerKernels.layerNorm(x.f, x.offset, rows, c, gamma.f, gamma.offset, beta.f, beta.offset, (float) epsilon,
                    y.f, 0, mean.f, rstd.f, 0);
        } else {
            ScalarTransformer.layerNorm(Buf.of(x.d), x.offset, rows, c, Buf.of(gamma.d), gamma.offset, Buf.of(beta.d), beta.offset, epsilon,
                    Buf.of(y.d), 0, Buf.of(mean.d), Buf.of(rstd.d), 0);
        }
        if (!Function.needsGrad(x, gamma, beta)) return y;
        LayerNorm node = y.spareNode(LayerNorm.class, LayerNorm::new);
        node.inputs[0] = x;
        node.inputs[1] = gamma;
        node.inputs[2] = beta;
        node.x = x;
        node.gamma = gamma;
        node.mean = mean;
        node.rstd = rstd;
        return Function.record(y, node);
    }

    @Override
    protected Tensor[] backward(Tensor dY) {
        Tensor g = dY.contiguous();
        int c = x.shape[x.rank() - 1], rows = mean.size();
        Tensor dX = wants(0) ? Tensor.uninitialized(g.dtype, x.shape) : null;
        Tensor dGamma = wants(1) ? Tensor.fresh(g.dtype, c) : null;          // accumulated into: zero-filled
        Tensor dBeta = wants(2) ? Tensor.fresh(g.dtype, c) : null;
        if (g.f != null) {
            TransformerKernels.layerNormBackward(x.f, x.offset, rows, c, gamma.f, gamma.offset, mean.f, rstd.f, 0, g.f, g.offset,
                    dX == null ? null : dX.f, 0, dGamma == null ? null : dGamma.f, 0, dBeta == null ? null : dBeta.f, 0);
        } else {
            ScalarTransformer.layerNormBackward(Buf.of(x.d), x.offset, rows, c, Buf.of(gamma.d), gamma.offset, Buf.of(mean.d), Buf.of(rstd.d), 0,
                    Buf.of(g.d), g.offset, dX == null ? null : Buf.of(dX.d), 0, dGamma == null ? null : Buf.of(dGamma.d), 0,
                    dBeta == null ? null : Buf.of(dBeta.d), 0);
        }
        grads[0] = dX;
        grads[1] = dGamma;
        grads[2] = dBeta;
        return grads;
    }
}
