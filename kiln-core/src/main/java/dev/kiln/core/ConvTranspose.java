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
    // Not final: a training step refills the node its recycled output carried last step (see Tensor#spareNode).
    private Tensor x;       // the upsampled input, i.e. the "output" of the equivalent conv; contiguous
    private Tensor kernel;  // contiguous
    private ConvGeometry g; // the equivalent conv: from this op's output back to its input
    private boolean hasBias;
    private final Tensor[] grads = new Tensor[3];   // backward's result, refilled on each call
    /** The bias gradient sums dY over batch, height and width (axes 0, 1, 2), as bits: no axes array per call. */
    private static final long ALL_BUT_CHANNELS = 0b111L;

    private ConvTranspose() {
        super(new Tensor[3]);
    }

    /**
     * The equivalent convolution's geometry and this op's output shape, made once per input shape, window, strides and
     * padding rather than on every call (as {@code Conv}'s shapes are for conv2d): a training step then allocates
     * neither. {@code out} becomes the results' shape, so it is never changed once made.
     */
    private static final class Shapes {
        final int batch, height, width, channels, kh, kw, filters, sh, sw;
        final Conv.Padding padding;
        final ConvGeometry g;
        final int[] out;    // (B, OH, OW, F)

        Shapes(int[] xShape, int kh, int kw, int filters, int sh, int sw, Conv.Padding padding) {
            this.batch = xShape[0];
            this.height = xShape[1];
            this.width = xShape[2];
            this.channels = xShape[3];
            this.kh = kh;
            this.kw = kw;
            this.filters = filters;
            this.sh = sh;
            this.sw = sw;
            this.padding = padding;
            int oh = Conv.transposeOutputLength(height, kh, sh, padding), ow = Conv.transposeOutputLength(width, kw, sw, padding);
            int pt = Math.max(0, (height - 1) * sh + kh - oh) / 2, pl = Math.max(0, (width - 1) * sw + kw - ow) / 2;
            // The equivalent conv maps (B, oh, ow, f) to (B, H, W, C) with kernel (kh, kw, f, C).
            this.g = new ConvGeometry(batch, oh, ow, filters, kh, kw, channels, 1, sh, sw, 1, 1, pt, pl, height, width);
            this.out = new int[] {batch, oh, ow, filters};
        }

        boolean is(int[] xShape, int kh, int kw, int filters, int sh, int sw, Conv.Padding padding) {
            return xShape[0] == batch && xShape[1] == height && xShape[2] == width && xShape[3] == channels && this.kh == kh
                    && this.kw == kw && this.filters == filters && this.sh == sh && this.sw == sw && this.padding == padding;
        }
    }

    /** The last few {@link Shapes} this thread asked for (a model's transposed layers, its short last batch), replaced in turn. */
    private static final class ShapeCache {
        final Shapes[] entries = new Shapes[8];
        int next;

        Shapes get(int[] xShape, int kh, int kw, int filters, int sh, int sw, Conv.Padding padding) {
            for (Shapes e : entries) {
                if (e == null) break;
                if (e.is(xShape, kh, kw, filters, sh, sw, padding)) return e;
            }
            Shapes e = new Shapes(xShape, kh, kw, filters, sh, sw, padding);   // throws for an invalid geometry: nothing cached
            entries[next] = e;
            next = (next + 1) % entries.length;
            return e;
        }
    }

    private static final ThreadLocal<ShapeCache> SHAPES = ThreadLocal.withInitial(ShapeCache::new);

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
        Shapes shapes = SHAPES.get().get(x.shape, kh, kw, f, sh, sw, padding);
        ConvGeometry g = shapes.g;
        // x and the kernel themselves when contiguous (the kernels read only their storage), else untracked copies
        Tensor xc = Movement.dense(x), kc = Movement.dense(kernel);
        Tensor y = Tensor.uninitialized(x.dtype, shapes.out);
        if (x.f != null) {
            ConvKernels.backwardInput(g, xc.f, xc.offset, kc.f, kc.offset, y.f, 0);
            if (bias != null) {
                Tensor bc = Movement.dense(bias);
                ConvKernels.addBias(y.f, 0, g.batch() * g.height() * g.width(), f, bc.f, bc.offset, false);   // every pixel of y
            }
        } else {
            ScalarConv.backward(g, null, 0, Buf.of(kc.d), kc.offset, Buf.of(xc.d), xc.offset, Buf.of(y.d), 0, null, 0);
            if (bias != null) {
                double[] b = bias.toDoubleArray();
                for (int i = 0; i < y.d.length; i++) y.d[i] += b[i % f];
            }
        }
        if (!Function.needsGrad(x, kernel, bias)) return y;
        ConvTranspose node = y.spareNode(ConvTranspose.class, ConvTranspose::new);
        node.inputs[0] = x;
        node.inputs[1] = kernel;
        node.inputs[2] = bias;
        node.x = xc;
        node.kernel = kc;
        node.g = g;
        node.hasBias = bias != null;
        return Function.record(y, node);
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
        if (hasBias && wants(2)) dB = Reduce.Sum.apply(dY, ALL_BUT_CHANNELS, false);
        grads[0] = dX;
        grads[1] = dK;
        grads[2] = dB;
        return grads;
    }
}
