package dev.kiln.core.kernel;

/**
 * Plain-loop reference convolution and pooling over {@link Buf}: the float64 implementation (used by gradient
 * checks) and the twin that {@link ConvKernels} is tested against. Direct definitions, no im2col, so the two
 * share no code. Arrays are contiguous NHWC from the given offsets; see {@link ConvGeometry} for the layout.
 */
public final class ScalarConv {
    private ScalarConv() {}

    /** y = conv(x, w) (+ bias when non-null), overwriting y. */
    public static void forward(ConvGeometry g, Buf x, int xo, Buf w, int wo, Buf bias, int bo, Buf y, int yo) {
        int cin = g.inPerGroup(), cout = g.outPerGroup();
        for (int b = 0; b < g.batch(); b++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++) {
                    for (int f = 0; f < g.filters(); f++) {
                        int c0 = (f / cout) * cin;
                        double acc = bias == null ? 0 : bias.get(bo + f);
                        for (int i = 0; i < g.kh(); i++) {
                            int ih = oh * g.sh() - g.padTop() + i * g.dh();
                            if (ih < 0 || ih >= g.height()) continue;
                            for (int j = 0; j < g.kw(); j++) {
                                int iw = ow * g.sw() - g.padLeft() + j * g.dw();
                                if (iw < 0 || iw >= g.width()) continue;
                                for (int c = 0; c < cin; c++) {
                                    acc += x.get(xo + ((b * g.height() + ih) * g.width() + iw) * g.channels() + c0 + c)
                                            * w.get(wo + ((i * g.kw() + j) * cin + c) * g.filters() + f);
                                }
                            }
                        }
                        y.set(yo + ((b * g.outH() + oh) * g.outW() + ow) * g.filters() + f, acc);
                    }
                }
            }
        }
    }

    /**
     * dX += ∂/∂x and dW += ∂/∂w of Σ dY·conv(x, w) (either destination may be null to skip it). Accumulates, so
     * callers pass zeroed destinations.
     */
    public static void backward(ConvGeometry g, Buf x, int xo, Buf w, int wo, Buf dy, int dyo, Buf dx, int dxo, Buf dw, int dwo) {
        int cin = g.inPerGroup(), cout = g.outPerGroup();
        for (int b = 0; b < g.batch(); b++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++) {
                    for (int f = 0; f < g.filters(); f++) {
                        int c0 = (f / cout) * cin;
                        double d = dy.get(dyo + ((b * g.outH() + oh) * g.outW() + ow) * g.filters() + f);
                        for (int i = 0; i < g.kh(); i++) {
                            int ih = oh * g.sh() - g.padTop() + i * g.dh();
                            if (ih < 0 || ih >= g.height()) continue;
                            for (int j = 0; j < g.kw(); j++) {
                                int iw = ow * g.sw() - g.padLeft() + j * g.dw();
                                if (iw < 0 || iw >= g.width()) continue;
                                for (int c = 0; c < cin; c++) {
                                    int xi = ((b * g.height() + ih) * g.width() + iw) * g.channels() + c0 + c;
                                    int wi = ((i * g.kw() + j) * cin + c) * g.filters() + f;
                                    if (dx != null) dx.set(dxo + xi, dx.get(dxo + xi) + d * w.get(wo + wi));
                                    if (dw != null) dw.set(dwo + wi, dw.get(dwo + wi) + d * x.get(xo + xi));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** dZ = dY where y > 0, else 0 (the fused ReLU's backward). */
    public static void reluBackward(Buf dy, int dyo, Buf y, int yo, Buf dz, int dzo, int n) {
        for (int i = 0; i < n; i++) dz.set(dzo + i, y.get(yo + i) > 0 ? dy.get(dyo + i) : 0);
    }

    /**
     * Max (or, with {@code average}, mean) pooling per channel; positions outside the input are skipped, so a
     * padded average divides by the number of real inputs, as Keras and PyTorch's count_include_pad=False do.
     */
    public static void pool(ConvGeometry g, boolean average, Buf x, int xo, Buf y, int yo) {
        int ch = g.channels();
        for (int b = 0; b < g.batch(); b++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++) {
                    for (int c = 0; c < ch; c++) {
                        double acc = average ? 0 : Double.NEGATIVE_INFINITY;
                        int count = 0;
                        for (int i = 0; i < g.kh(); i++) {
                            int ih = oh * g.sh() - g.padTop() + i * g.dh();
                            if (ih < 0 || ih >= g.height()) continue;
                            for (int j = 0; j < g.kw(); j++) {
                                int iw = ow * g.sw() - g.padLeft() + j * g.dw();
                                if (iw < 0 || iw >= g.width()) continue;
                                double v = x.get(xo + ((b * g.height() + ih) * g.width() + iw) * ch + c);
                                acc = average ? acc + v : Math.max(acc, v);
                                count++;
                            }
                        }
                        y.set(yo + ((b * g.outH() + oh) * g.outW() + ow) * ch + c, average ? acc / Math.max(1, count) : acc);
                    }
                }
            }
        }
    }

    /**
     * dX += the pooling gradient. Max pooling sends each dY to the first window position holding the maximum
     * (PyTorch's choice); {@code y} is the forward output. Average pooling spreads dY evenly over real inputs.
     */
    public static void poolBackward(ConvGeometry g, boolean average, Buf x, int xo, Buf y, int yo, Buf dy, int dyo, Buf dx, int dxo) {
        int ch = g.channels();
        for (int b = 0; b < g.batch(); b++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++) {
                    for (int c = 0; c < ch; c++) {
                        int o = ((b * g.outH() + oh) * g.outW() + ow) * ch + c;
                        double d = dy.get(dyo + o), best = y.get(yo + o);
                        int count = 0;
                        boolean done = false;
                        for (int pass = average ? 0 : 1; pass < 2 && !done; pass++) {
                            for (int i = 0; i < g.kh() && !done; i++) {
                                int ih = oh * g.sh() - g.padTop() + i * g.dh();
                                if (ih < 0 || ih >= g.height()) continue;
                                for (int j = 0; j < g.kw() && !done; j++) {
                                    int iw = ow * g.sw() - g.padLeft() + j * g.dw();
                                    if (iw < 0 || iw >= g.width()) continue;
                                    int xi = ((b * g.height() + ih) * g.width() + iw) * ch + c;
                                    if (pass == 0) {
                                        count++;          // average, first pass: count the real inputs
                                    } else if (average) {
                                        dx.set(dxo + xi, dx.get(dxo + xi) + d / count);
                                    } else if (x.get(xo + xi) == best) {
                                        dx.set(dxo + xi, dx.get(dxo + xi) + d);
                                        done = true;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
