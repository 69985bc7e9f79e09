package dev.kiln.core;

import java.util.Arrays;

import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.ConvGeometry;
import dev.kiln.core.kernel.ConvKernels;
import dev.kiln.core.kernel.PoolKernels;
import dev.kiln.core.kernel.ScalarConv;

/**
 * Convolution, pooling and zero padding over channels-last tensors (batch, height, width, channels), as Keras
 * lays them out. Kernels are (kh, kw, channels / groups, filters). Each op is a small {@link Function} with its
 * forward ({@code apply}) and backward side by side (the transposed convolution's in {@link ConvTranspose}); the
 * arithmetic lives in {@link ConvKernels} and {@link PoolKernels} (float32) and {@link ScalarConv} (float64, and the
 * float32 kernels' twin).
 */
public final class Conv {
    private Conv() {}

    /** Keras padding: VALID uses only real pixels; SAME pads with zeros so that out = ceil(in / stride). */
    public enum Padding {
        VALID, SAME
    }

    /** Strides, dilation, padding and groups of a 2-D convolution or pooling window. */
    public record Spec(int strideH, int strideW, int dilationH, int dilationW, Padding padding, int groups) {
        public static final Spec DEFAULT = new Spec(1, 1, 1, 1, Padding.VALID, 1);

        public Spec {
            if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || groups < 1) {
                throw new IllegalArgumentException("strides, dilation and groups must be >= 1, got strides (" + strideH + ", " + strideW
                        + "), dilation (" + dilationH + ", " + dilationW + "), groups " + groups);
            }
            if (padding == null) padding = Padding.VALID;
        }

        public Spec withStrides(int h, int w) { return new Spec(h, w, dilationH, dilationW, padding, groups); }

        public Spec withDilation(int h, int w) { return new Spec(strideH, strideW, h, w, padding, groups); }

        public Spec withPadding(Padding p) { return new Spec(strideH, strideW, dilationH, dilationW, p, groups); }

        public Spec withGroups(int g) { return new Spec(strideH, strideW, dilationH, dilationW, padding, g); }
    }

    /** Output length of one spatial axis. */
    public static int outputLength(int in, int window, int stride, int dilation, Padding padding) {
        int span = (window - 1) * dilation + 1;
        return padding == Padding.SAME ? (in + stride - 1) / stride : in < span ? 0 : (in - span) / stride + 1;
    }

    /** Zeros added before the first pixel (TensorFlow's rule: the odd one goes after). */
    static int padBefore(int in, int window, int stride, int dilation, Padding padding) {
        if (padding == Padding.VALID) return 0;
        int out = outputLength(in, window, stride, dilation, padding);
        int total = Math.max(0, (out - 1) * stride + (window - 1) * dilation + 1 - in);
        return total / 2;
    }

    /** The geometry of a window of (kh, kw) over a (B, H, W, C) input producing {@code filters} channels. */
    public static ConvGeometry geometry(int[] xShape, int kh, int kw, int filters, Spec s) {
        int h = xShape[1], w = xShape[2];
        int oh = outputLength(h, kh, s.strideH(), s.dilationH(), s.padding());
        int ow = outputLength(w, kw, s.strideW(), s.dilationW(), s.padding());
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("a " + kh + "x" + kw + " window (dilation " + s.dilationH() + "x" + s.dilationW()
                    + ") does not fit a " + h + "x" + w + " input with padding " + s.padding().name().toLowerCase(java.util.Locale.ROOT)
                    + "; use padding same, a smaller kernel or pool size, or a larger input");
        }
        return new ConvGeometry(xShape[0], h, w, xShape[3], kh, kw, filters, s.groups(), s.strideH(), s.strideW(), s.dilationH(), s.dilationW(),
                padBefore(h, kh, s.strideH(), s.dilationH(), s.padding()), padBefore(w, kw, s.strideW(), s.dilationW(), s.padding()), oh, ow);
    }

    /**
     * A convolution's geometry with the output shapes its ops give their results, made once per input shape, window
     * and spec rather than on every call: a training step then allocates neither geometry nor shape arrays. The
     * arrays become the results' shapes, so they are never changed once made.
     */
    private static final class Shapes {
        final int batch, height, width, channels, kh, kw, filters;
        final Spec spec;
        final ConvGeometry g;
        final int[] out;     // (B, OH, OW, F)
        int ph, pw;
        int[] pooled;        // (B, OH / ph, OW / pw, F) for the last pool window asked for

        Shapes(int[] xShape, int kh, int kw, int filters, Spec spec) {
            this.batch = xShape[0];
            this.height = xShape[1];
            this.width = xShape[2];
            this.channels = xShape[3];
            this.kh = kh;
            this.kw = kw;
            this.filters = filters;
            this.spec = spec;
            this.g = geometry(xShape, kh, kw, filters, spec);
            this.out = new int[] {g.batch(), g.outH(), g.outW(), filters};
        }

        boolean is(int[] xShape, int kh, int kw, int filters, Spec spec) {
            return xShape[0] == batch && xShape[1] == height && xShape[2] == width && xShape[3] == channels && this.kh == kh
                    && this.kw == kw && this.filters == filters && (this.spec == spec || this.spec.equals(spec));
        }

        int[] pooled(int ph, int pw) {
            if (pooled == null || this.ph != ph || this.pw != pw) {
                pooled = new int[] {g.batch(), g.outH() / ph, g.outW() / pw, filters};
                this.ph = ph;
                this.pw = pw;
            }
            return pooled;
        }
    }

    /** The last few {@link Shapes} this thread asked for (a model's conv layers, and its short last batch), replaced in turn. */
    private static final class ShapeCache {
        final Shapes[] entries = new Shapes[16];
        int next;

        Shapes get(int[] xShape, int kh, int kw, int filters, Spec spec) {
            for (Shapes e : entries) {
                if (e == null) break;
                if (e.is(xShape, kh, kw, filters, spec)) return e;
            }
            Shapes e = new Shapes(xShape, kh, kw, filters, spec);   // throws for a window that does not fit: nothing cached
            entries[next] = e;
            next = (next + 1) % entries.length;
            return e;
        }
    }

    private static final ThreadLocal<ShapeCache> SHAPES = ThreadLocal.withInitial(ShapeCache::new);

    static void requireRank4(String op, Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(op + " needs channels-last input (batch, height, width, channels), got shape " + Shape.str(x.shape)
                    + "; add a channel axis, e.g. reshape (batch, 28, 28) to (batch, 28, 28, 1)");
        }
    }

    // ---------------------------------------------------------------- convolution

    /** conv(x, kernel) + bias: x (B, H, W, C), kernel (kh, kw, C / groups, F), bias (F) or null → (B, OH, OW, F). */
    public static Tensor conv2d(Tensor x, Tensor kernel, Tensor bias, Spec spec) {
        return Conv2d.apply(x, kernel, bias, spec, false);
    }

    /** relu(conv(x, kernel) + bias) in one pass over the output: the epilogue fuses bias and ReLU. */
    public static Tensor conv2dRelu(Tensor x, Tensor kernel, Tensor bias, Spec spec) {
        return Conv2d.apply(x, kernel, bias, spec, true);
    }

    /** x itself when contiguous (the kernels read only its storage), else an untracked contiguous copy. */
    private static Tensor contiguousData(Tensor x) {
        return x == null ? null : Movement.dense(x);
    }

    static final class Conv2d extends Function {
        // Not final: a training step refills the node its recycled output carried last step (see Tensor#spareNode).
        private Tensor x;       // (B, H, W, C) contiguous
        private Tensor kernel;  // (kh, kw, C/groups, F) contiguous
        private Tensor y;       // output, kept for the fused ReLU's mask
        private ConvGeometry g;
        private boolean relu;
        private boolean hasBias;
        private final Tensor[] grads = new Tensor[3];   // backward's result, refilled on each call

        private Conv2d() {
            super(new Tensor[3]);
        }

        private Conv2d set(Tensor xIn, Tensor kIn, Tensor bias, Tensor x, Tensor kernel, Tensor y, ConvGeometry g, boolean relu) {
            inputs[0] = xIn;
            inputs[1] = kIn;
            inputs[2] = bias;
            this.x = x;
            this.kernel = kernel;
            this.y = y;
            this.g = g;
            this.relu = relu;
            this.hasBias = bias != null;
            return this;
        }

        static Tensor apply(Tensor x, Tensor kernel, Tensor bias, Spec spec, boolean relu) {
            Shapes sh = check(x, kernel, bias, spec);
            ConvGeometry g = sh.g;
            Tensor xc = contiguousData(x), kc = contiguousData(kernel), bc = contiguousData(bias);
            Tensor y = Tensor.uninitialized(x.dtype, sh.out);
            if (x.f != null) {
                ConvKernels.forward(g, xc.f, xc.offset, kc.f, kc.offset, bc == null ? null : bc.f, bc == null ? 0 : bc.offset, relu, y.f, 0);
            } else {
                ScalarConv.forward(g, Buf.of(xc.d), xc.offset, Buf.of(kc.d), kc.offset, bc == null ? null : Buf.of(bc.d), bc == null ? 0 : bc.offset,
                        Buf.of(y.d), 0);
                if (relu) for (int i = 0; i < y.d.length; i++) y.d[i] = Math.max(0, y.d[i]);
            }
            if (!Function.needsGrad(x, kernel, bias)) return y;
            return Function.record(y, y.spareNode(Conv2d.class, Conv2d::new).set(x, kernel, bias, xc, kc, y, g, relu));
        }

        /** Validates a convolution's operands and returns its geometry and output shape. */
        static Shapes check(Tensor x, Tensor kernel, Tensor bias, Spec spec) {
            requireRank4("conv2d", x);
            if (kernel.rank() != 4) throw new IllegalArgumentException("conv2d kernel must be (kh, kw, in_channels / groups, filters), got " + Shape.str(kernel.shape));
            int c = x.shape[3], groups = spec.groups(), filters = kernel.shape[3];
            if (c % groups != 0 || filters % groups != 0 || kernel.shape[2] * groups != c) {
                throw new IllegalArgumentException("conv2d: input has " + c + " channels and the kernel " + Shape.str(kernel.shape) + " with groups "
                        + groups + "; the kernel's third axis must be channels / groups = " + (c % groups == 0 ? c / groups : "?")
                        + " and filters must be divisible by groups");
            }
            if (bias != null && (bias.rank() != 1 || bias.shape[0] != filters)) {
                throw new IllegalArgumentException("conv2d bias must have shape (" + filters + "), got " + Shape.str(bias.shape));
            }
            if (x.dtype != kernel.dtype || (bias != null && bias.dtype != x.dtype)) throw new IllegalArgumentException("conv2d: dtypes differ");
            return SHAPES.get().get(x.shape, kernel.shape[0], kernel.shape[1], filters, spec);
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            Tensor dY = dOut.contiguous();   // (B, OH, OW, F)
            Tensor dX = null, dK = null, dB = null;
            if (x.f != null) {
                // float32: the fused ReLU's mask (y > 0) is applied chunk by chunk inside both kernels, and the bias
                // gradient is summed inside the weight gradient's pass, so no full-size dZ is ever allocated.
                float[] mask = relu ? y.f : null;
                if (wants(0)) {
                    dX = Tensor.uninitialized(x.dtype, x.shape);
                    ConvKernels.backwardInput(g, dY.f, dY.offset, mask, 0, kernel.f, kernel.offset, dX.f, 0);
                }
                boolean wantB = hasBias && wants(2);
                if (wants(1) || wantB) {
                    dK = Tensor.uninitialized(kernel.dtype, kernel.shape);
                    if (wantB) dB = Tensor.uninitialized(y.dtype, g.filters());
                    ConvKernels.backwardWeight(g, x.f, x.offset, dY.f, dY.offset, mask, 0, dK.f, 0, wantB ? dB.f : null, 0);
                    if (!wants(1)) dK = null;
                }
                return grads(dX, dK, dB);
            }
            if (relu) {
                Tensor dZ = Tensor.fresh(y.dtype, y.shape);   // gradient before the fused ReLU
                ScalarConv.reluBackward(Buf.of(dY.d), dY.offset, Buf.of(y.d), 0, Buf.of(dZ.d), 0, dZ.size());
                dY = dZ;
            }
            if (wants(0)) {
                dX = Tensor.fresh(x.dtype, x.shape);
                ScalarConv.backward(g, Buf.of(x.d), x.offset, Buf.of(kernel.d), kernel.offset, Buf.of(dY.d), dY.offset, Buf.of(dX.d), 0, null, 0);
            }
            if (wants(1)) {
                dK = Tensor.fresh(kernel.dtype, kernel.shape);
                ScalarConv.backward(g, Buf.of(x.d), x.offset, Buf.of(kernel.d), kernel.offset, Buf.of(dY.d), dY.offset, null, 0, Buf.of(dK.d), 0);
            }
            if (hasBias && wants(2)) dB = dY.sum(new int[] {0, 1, 2}, false);
            return grads(dX, dK, dB);
        }

        private Tensor[] grads(Tensor dX, Tensor dK, Tensor dB) {
            grads[0] = dX;
            grads[1] = dK;
            grads[2] = dB;
            return grads;
        }
    }

    // ---------------------------------------------------------------- convolution + ReLU + max pooling

    /**
     * maxPool(relu(conv(x, kernel) + bias)) over (ph × pw) windows at stride (ph, pw) with valid padding: a Conv2D
     * with ReLU followed by MaxPooling2D, as one op. In float32 the fused kernel never writes the convolution's
     * output: the backward keeps only the pooled output and each window's argmax. float64, and images too large
     * for a thread's scratch, run the composition {@code maxPool2d(conv2dRelu(...))}, which the fused op equals
     * (same values, same gradients; ties go to the first maximum in both).
     */
    public static Tensor conv2dReluMaxPool(Tensor x, Tensor kernel, Tensor bias, Spec spec, int ph, int pw) {
        return ConvReluMaxPool.apply(x, kernel, bias, spec, ph, pw);
    }

    static final class ConvReluMaxPool extends Function {
        // Not final: a training step refills the node its recycled output carried last step (see Tensor#spareNode).
        private Tensor x;       // (B, H, W, C) contiguous
        private Tensor kernel;  // (kh, kw, C/groups, F) contiguous
        private Tensor p;       // pooled output: its sign is the ReLU's mask at each argmax
        private Tensor idx;     // position of each window's first maximum, as a float
        private ConvGeometry g;
        private int ph, pw;
        private boolean hasBias;
        private final Tensor[] grads = new Tensor[3];   // backward's result, refilled on each call

        private ConvReluMaxPool() {
            super(new Tensor[3]);
        }

        private ConvReluMaxPool set(Tensor xIn, Tensor kIn, Tensor bias, Tensor x, Tensor kernel, Tensor p, Tensor idx, ConvGeometry g,
                                    int ph, int pw) {
            inputs[0] = xIn;
            inputs[1] = kIn;
            inputs[2] = bias;
            this.x = x;
            this.kernel = kernel;
            this.p = p;
            this.idx = idx;
            this.g = g;
            this.ph = ph;
            this.pw = pw;
            this.hasBias = bias != null;
            return this;
        }

        static Tensor apply(Tensor x, Tensor kernel, Tensor bias, Spec spec, int ph, int pw) {
            if (ph < 1 || pw < 1) throw new IllegalArgumentException("pool size must be >= 1, got (" + ph + ", " + pw + ")");
            Shapes sh = Conv2d.check(x, kernel, bias, spec);
            ConvGeometry g = sh.g;
            if (x.f == null || !ConvKernels.fusesMaxPool(g, ph, pw)) return maxPool2d(conv2dRelu(x, kernel, bias, spec), ph, pw, ph, pw, Padding.VALID);
            Tensor xc = contiguousData(x), kc = contiguousData(kernel), bc = contiguousData(bias);
            boolean grad = Function.needsGrad(x, kernel, bias);
            int[] shape = sh.pooled(ph, pw);
            Tensor p = Tensor.uninitialized(x.dtype, shape);
            Tensor idx = grad ? Tensor.uninitialized(x.dtype, shape) : null;
            ConvKernels.forwardReluMaxPool(g, xc.f, xc.offset, kc.f, kc.offset, bc == null ? null : bc.f, bc == null ? 0 : bc.offset, ph, pw,
                    p.f, 0, idx == null ? null : idx.f, 0);
            if (!grad) return p;
            return Function.record(p, p.spareNode(ConvReluMaxPool.class, ConvReluMaxPool::new).set(x, kernel, bias, xc, kc, p, idx, g, ph, pw));
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            Tensor dP = dOut.contiguous();
            boolean wantB = hasBias && wants(2);
            Tensor dX = wants(0) ? Tensor.uninitialized(x.dtype, x.shape) : null;
            Tensor dK = Tensor.uninitialized(kernel.dtype, kernel.shape);
            Tensor dB = wantB ? Tensor.uninitialized(x.dtype, g.filters()) : null;
            ConvKernels.backwardReluMaxPool(g, x.f, x.offset, kernel.f, kernel.offset, ph, pw, p.f, 0, idx.f, 0, dP.f, dP.offset,
                    dX == null ? null : dX.f, 0, dK.f, 0, dB == null ? null : dB.f, 0);
            grads[0] = dX;
            grads[1] = wants(1) ? dK : null;
            grads[2] = dB;
            return grads;
        }
    }

    // ---------------------------------------------------------------- transposed convolution

    /**
     * The transpose (gradient) of conv2d, which upsamples (Keras {@code Conv2DTranspose}; Dumoulin &amp; Visin 2016):
     * x (B, H, W, C), kernel (kh, kw, F, C) in Keras layout → (B, OH, OW, F) with OH = (H − 1)·stride + kh for
     * VALID and H·stride for SAME. Computed as conv2d's input gradient, so it shares conv2d's kernels.
     */
    public static Tensor conv2dTranspose(Tensor x, Tensor kernel, Tensor bias, int strideH, int strideW, Padding padding) {
        return ConvTranspose.apply(x, kernel, bias, strideH, strideW, padding);
    }

    /** Output length of a transposed convolution along one axis. */
    public static int transposeOutputLength(int in, int window, int stride, Padding padding) {
        return padding == Padding.SAME ? in * stride : (in - 1) * stride + window;
    }

    // ---------------------------------------------------------------- pooling

    /** Max over (poolH, poolW) windows per channel: (B, H, W, C) → (B, OH, OW, C). */
    public static Tensor maxPool2d(Tensor x, int poolH, int poolW, int strideH, int strideW, Padding padding) {
        return Pool2d.apply(x, poolH, poolW, strideH, strideW, padding, false);
    }

    /** Mean over (poolH, poolW) windows per channel; padded positions are not counted. */
    public static Tensor avgPool2d(Tensor x, int poolH, int poolW, int strideH, int strideW, Padding padding) {
        return Pool2d.apply(x, poolH, poolW, strideH, strideW, padding, true);
    }

    /**
     * A pooling's geometry (a depthwise window: filters = groups = channels) and output shape, made once per input
     * shape and window, as {@link Shapes} does for convolutions: a training step makes neither again.
     */
    private static final class PoolShapes {
        final int[] x;       // the input shape it was made for (a copy)
        final int ph, pw, sh, sw;
        final Padding padding;
        final ConvGeometry g;
        final int[] out;     // (B, OH, OW, C), the results' shape: never changed

        PoolShapes(int[] xShape, int ph, int pw, int sh, int sw, Padding padding) {
            int c = xShape[3];
            ConvGeometry g0 = geometry(xShape, ph, pw, c, new Spec(sh, sw, 1, 1, padding, 1));   // throws if the window does not fit
            this.x = xShape.clone();
            this.ph = ph;
            this.pw = pw;
            this.sh = sh;
            this.sw = sw;
            this.padding = padding;
            this.g = new ConvGeometry(g0.batch(), g0.height(), g0.width(), c, ph, pw, c, c, g0.sh(), g0.sw(), 1, 1,
                    g0.padTop(), g0.padLeft(), g0.outH(), g0.outW());
            this.out = new int[] {g.batch(), g.outH(), g.outW(), c};
        }

        boolean is(int[] xShape, int ph, int pw, int sh, int sw, Padding padding) {
            return Arrays.equals(x, xShape) && this.ph == ph && this.pw == pw && this.sh == sh && this.sw == sw && this.padding == padding;
        }

        /** The last few pool shapes this thread asked for (a model's pooling layers, its short last batch), replaced in turn. */
        private static final class Cache {
            final PoolShapes[] entries = new PoolShapes[8];
            int next;
        }

        private static final ThreadLocal<Cache> CACHE = ThreadLocal.withInitial(Cache::new);

        static PoolShapes get(int[] xShape, int ph, int pw, int sh, int sw, Padding padding) {
            Cache cache = CACHE.get();
            for (PoolShapes e : cache.entries) {
                if (e == null) break;
                if (e.is(xShape, ph, pw, sh, sw, padding)) return e;
            }
            PoolShapes e = new PoolShapes(xShape, ph, pw, sh, sw, padding);
            cache.entries[cache.next] = e;
            cache.next = (cache.next + 1) % cache.entries.length;
            return e;
        }
    }

    static final class Pool2d extends Function {
        // Not final: a training step refills last step's node (Tensor#spareNode) instead of making one.
        private Tensor x;
        private Tensor y;
        private ConvGeometry g;
        private boolean average;
        private final Tensor[] grads = new Tensor[1];

        private Pool2d() {
            super(new Tensor[1]);
        }

        static Tensor apply(Tensor x, int ph, int pw, int sh, int sw, Padding padding, boolean average) {
            requireRank4(average ? "avgPool2d" : "maxPool2d", x);
            PoolShapes shapes = PoolShapes.get(x.shape, ph, pw, sh, sw, padding == null ? Padding.VALID : padding);
            ConvGeometry g = shapes.g;
            Tensor xc = Movement.dense(x);
            Tensor y = Tensor.uninitialized(x.dtype, shapes.out);
            if (x.f != null) PoolKernels.pool(g, average, xc.f, xc.offset, y.f, 0);
            else ScalarConv.pool(g, average, Buf.of(xc.d), xc.offset, Buf.of(y.d), 0);
            if (!Function.needsGrad(x)) return y;
            Pool2d node = y.spareNode(Pool2d.class, Pool2d::new);
            node.inputs[0] = x;
            node.x = xc;
            node.y = y;
            node.g = g;
            node.average = average;
            return Function.record(y, node);
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            Tensor dY = dOut.contiguous();
            Tensor dX = Tensor.fresh(x.dtype, x.shape);
            if (x.f != null) PoolKernels.poolBackward(g, average, x.f, x.offset, y.f, 0, dY.f, dY.offset, dX.f, 0);
            else ScalarConv.poolBackward(g, average, Buf.of(x.d), x.offset, Buf.of(y.d), 0, Buf.of(dY.d), dY.offset, Buf.of(dX.d), 0);
            grads[0] = dX;
            return grads;
        }
    }

    // ---------------------------------------------------------------- zero padding

    /** Adds zero rows and columns around each image: (B, H, W, C) → (B, top + H + bottom, left + W + right, C). */
    public static Tensor zeroPad2d(Tensor x, int top, int bottom, int left, int right) {
        return ZeroPad2d.apply(x, top, bottom, left, right);
    }

    static final class ZeroPad2d extends Function {
        // Not final: a training step refills the node its recycled output carried last step (see Tensor#spareNode).
        private int top;
        private int left;
        private int[] inShape;
        private final Tensor[] grads = new Tensor[1];   // backward's result, refilled on each call

        private ZeroPad2d() {
            super(new Tensor[1]);
        }

        static Tensor apply(Tensor x, int top, int bottom, int left, int right) {
            requireRank4("zeroPad2d", x);
            if (top < 0 || bottom < 0 || left < 0 || right < 0) throw new IllegalArgumentException("zero padding must be >= 0");
            int[] shape = ShapeScratch.of(ShapeScratch.PAD, 4);   // read, not kept: copied only when a tensor is made
            shape[0] = x.shape[0];
            shape[1] = x.shape[1] + top + bottom;
            shape[2] = x.shape[2] + left + right;
            shape[3] = x.shape[3];
            Tensor y = Tensor.uninitializedCopying(x.dtype, shape).fillInPlace(0f);
            // x into the inner (H, W) window of y, written through y's strides: no view of it is made.
            Movement.copyInto(x, y, x.shape, y.offset + top * y.strides[1] + left * y.strides[2]);
            if (!Function.needsGrad(x)) return y;
            ZeroPad2d node = y.spareNode(ZeroPad2d.class, ZeroPad2d::new);
            node.inputs[0] = x;
            node.top = top;
            node.left = left;
            node.inShape = x.shape;
            return Function.record(y, node);
        }

        @Override
        protected Tensor[] backward(Tensor dOut) {
            // dOut's inner window as one strided view (recycled in a training step), then a contiguous copy of it.
            Tensor inner = StepArena.stridedView(dOut, dOut.offset + top * dOut.strides[1] + left * dOut.strides[2], inShape, dOut.strides);
            grads[0] = Movement.copy(inner, false);
            return grads;
        }
    }
}
