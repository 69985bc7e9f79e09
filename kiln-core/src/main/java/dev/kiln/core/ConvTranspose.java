package dev.kiln.core;

import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.ConvGeometry;
import dev.kiln.core.kernel.ConvKernels;
import dev.kiln.core.kernel.ScalarConv;

/**
 * The transposed convolution behind {@link Conv#conv2dTranspose}: computed as conv2d's input gradient (its backward as
 * conv2d's forward and weight gradient), so it shares conv2d's kernels.
 */
final class ConvTranspose extends Function {
    private final Tensor x;       // the upsampled input, i.e. the "output" of the equivalent conv
    private final Tensor kernel;
    private final ConvGeometry g; // the equivalent conv: from this op's output back to its input
    private final boolean hasBias;

    private ConvTranspose(Tensor xIn, Tensor kIn, Tensor bias, Tensor x, Tensor kernel, ConvGeometry g) {
        super(xIn, kIn, bias);
        this.x = x;
        this.kernel = kernel;
        this.g = g;
        this.hasBias = bias != null;
    }

    static Tensor apply(Tensor x, Tensor kernel, Tensor bias, int sh, int sw, Conv.Padding padding) {
        Conv.requireRank4("conv2dTranspose", x);
        if (kernel.rank() != 4 || kernel.shape[3] != x.shape[3]) {
            throw new IllegalArgumentException("conv2dTranspose kernel must be (kh, kw, filters, in_channels = " + x.shape[3] + "), got "
                    + Shape.str(kernel.shape));
        }
        int kh = kernel.shape[0], kw = kernel.shape[1], f = kernel.shape[2];
        if (bias != null && (bias.rank() != 1 || bias.shape[0] != f)) {
            throw new IllegalArgumentException("conv2dTranspose bias must have shape (" + f + "), got " + Shape.str(bias.shape));
        }
        int oh = Conv.transposeOutputLength(x.shape[1], kh, sh, padding), ow = Conv.transposeOutputLength(x.shape[2], kw, sw, padding);
        int pt = Math.max(0, (x.shape[1] - 1) * sh + kh - oh) / 2, pl = Math.max(0, (x.shape[2] - 1) * sw + kw - ow) / 2;
        // The equivalent conv maps (B, oh, ow, f) to (B, H, W, C) with kernel (kh, kw, f, C).
        ConvGeometry g = new ConvGeometry(x.shape[0], oh, ow, f, kh, kw, x.shape[3], 1, sh, sw, 1, 1, pt, pl, x.shape[1], x.shape[2]);
        Tensor xc = x.detach().contiguous(), kc = kernel.detach().contiguous();
        Tensor y = Tensor.uninitialized(x.dtype, x.shape[0], oh, ow, f);
        if (x.f != null) {
            ConvKernels.backwardInput(g, xc.f, xc.offset, kc.f, kc.offset, y.f, 0);
            if (bias != null) {
                Tensor bc = bias.detach().contiguous();
                ConvKernels.addBias(y.f, 0, g.batch() * oh * ow, f, bc.f, bc.offset, false);
            }
        } else {
            ScalarConv.backward(g, null, 0, Buf.of(kc.d), kc.offset, Buf.of(xc.d), xc.offset, Buf.of(y.d), 0, null, 0);
            if (bias != null) {
                double[] b = bias.toDoubleArray();
                for (int i = 0; i < y.d.length; i++) y.d[i] += b[i % f];
            }
        }
        return Function.needsGrad(x, kernel, bias) ? Function.record(y, new ConvTranspose(x, kernel, bias, xc, kc, g)) : y;
    }

    @Override
    protected Tensor[] backward(Tensor dOut) {
        Tensor dY = dOut.contiguous();   // (B, OH, OW, F): the equivalent conv's input
        Tensor dX = null, dK = null, dB = null;
        if (wants(0)) {
            dX = Tensor.uninitialized(x.dtype, x.shape);
            if (x.f != null) ConvKernels.forward(g, dY.f, dY.offset, kernel.f, kernel.offset, dX.f, 0);
            else ScalarConv.forward(g, Buf.of(dY.d), dY.offset, Buf.of(kernel.d), kernel.offset, null, 0, Buf.of(dX.d), 0);
        }
        if (wants(1)) {
            dK = Tensor.uninitialized(kernel.dtype, kernel.shape);
            if (x.f != null) ConvKernels.backwardWeight(g, dY.f, dY.offset, x.f, x.offset, dK.f, 0);
            else ScalarConv.backward(g, Buf.of(dY.d), dY.offset, Buf.of(kernel.d), kernel.offset, Buf.of(x.d), x.offset, null, 0, Buf.of(dK.d), 0);
        }
        if (hasBias && wants(2)) dB = dY.sum(new int[] {0, 1, 2}, false);
        return new Tensor[] {dX, dK, dB};
    }
}
