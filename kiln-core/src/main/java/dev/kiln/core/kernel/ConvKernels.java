package dev.kiln.core.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 convolution and pooling over channels-last data. Twin: {@link ScalarConv} (same arguments).
 *
 * <p>Convolution is im2col + {@link Gemm} (Chellapilla et al. 2006): each output pixel's receptive field is
 * copied into one row of a (rows × kh·kw·cin) matrix, so the convolution becomes one GEMM with the kernel,
 * which in Keras layout (kh, kw, cin, filters) already is a row-major (kh·kw·cin × filters) matrix. Channels
 * last makes every copied run {@code cin} contiguous floats. The input gradient is dCols = dY·Wᵀ scattered
 * back (col2im); the weight gradient is colsᵀ·dY. Groups (depthwise when groups == channels) run one GEMM per
 * group on column slices of the same matrices, so nothing is repacked.
 *
 * <p>Pooling vectorises across channels: one vector holds the same window position of VL channels.
 * Threads: im2col/col2im and pooling split over output rows or images with {@link Parallel}; the GEMMs
 * split themselves. Results do not depend on the thread count.
 */
public final class ConvKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private ConvKernels() {}

    /** y = conv(x, w), overwriting y (bias and activation are separate epilogues: {@link #addBias}). */
    public static void forward(ConvGeometry g, float[] x, int xo, float[] w, int wo, float[] y, int yo) {
        int k = g.patch(), m = g.rows(), cout = g.outPerGroup();
        float[] cols = new float[m * k];
        for (int grp = 0; grp < g.groups(); grp++) {
            im2col(g, grp, x, xo, cols);
            Gemm.gemm(false, false, m, cout, k, cols, 0, k, w, wo + grp * cout, g.filters(), y, yo + grp * cout, g.filters(), false);
        }
    }

    /** dX = ∂/∂x of Σ dY·conv(x, w), overwriting dx. */
    public static void backwardInput(ConvGeometry g, float[] dy, int dyo, float[] w, int wo, float[] dx, int dxo) {
        int k = g.patch(), m = g.rows(), cout = g.outPerGroup();
        float[] dCols = new float[m * k];
        Arrays.fill(dx, dxo, dxo + g.inputSize(), 0f);
        for (int grp = 0; grp < g.groups(); grp++) {
            // dCols (m × k) = dY_g (m × cout) · W_gᵀ, W_g stored (k × cout) with row stride filters
            Gemm.gemm(false, true, m, k, cout, dy, dyo + grp * cout, g.filters(), w, wo + grp * cout, g.filters(), dCols, 0, k, false);
            col2im(g, grp, dCols, dx, dxo);
        }
    }

    /** dW = ∂/∂w of Σ dY·conv(x, w), overwriting dw. */
    public static void backwardWeight(ConvGeometry g, float[] x, int xo, float[] dy, int dyo, float[] dw, int dwo) {
        int k = g.patch(), m = g.rows(), cout = g.outPerGroup();
        float[] cols = new float[m * k];
        for (int grp = 0; grp < g.groups(); grp++) {
            im2col(g, grp, x, xo, cols);
            // dW_g (k × cout) = colsᵀ (k × m) · dY_g (m × cout)
            Gemm.gemm(true, false, k, cout, m, cols, 0, k, dy, dyo + grp * cout, g.filters(), dw, dwo + grp * cout, g.filters(), false);
        }
    }

    /** Copies group {@code grp}'s receptive fields into cols (rows × patch); outside the input is zero. */
    static void im2col(ConvGeometry g, int grp, float[] x, int xo, float[] cols) {
        int cin = g.inPerGroup(), k = g.patch(), c0 = grp * cin;
        int perImage = g.outH() * g.outW();
        Parallel.forRange(g.rows(), 64, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int b = r / perImage, oh = (r % perImage) / g.outW(), ow = r % g.outW();
                int dst = r * k;
                for (int i = 0; i < g.kh(); i++) {
                    int ih = oh * g.sh() - g.padTop() + i * g.dh();
                    for (int j = 0; j < g.kw(); j++, dst += cin) {
                        int iw = ow * g.sw() - g.padLeft() + j * g.dw();
                        if (ih < 0 || ih >= g.height() || iw < 0 || iw >= g.width()) {
                            Arrays.fill(cols, dst, dst + cin, 0f);
                        } else if (cin < 8) {
                            // A first layer has 1 or 3 channels: a call to arraycopy per pixel cost more than the copy itself.
                            int src = xo + ((b * g.height() + ih) * g.width() + iw) * g.channels() + c0;
                            for (int c = 0; c < cin; c++) cols[dst + c] = x[src + c];
                        } else {
                            System.arraycopy(x, xo + ((b * g.height() + ih) * g.width() + iw) * g.channels() + c0, cols, dst, cin);
                        }
                    }
                }
            }
        });
    }

    /** dx += the scatter of dCols back onto the input positions they were copied from. Split by image: no races. */
    static void col2im(ConvGeometry g, int grp, float[] dCols, float[] dx, int dxo) {
        int cin = g.inPerGroup(), k = g.patch(), c0 = grp * cin;
        int perImage = g.outH() * g.outW();
        Parallel.forRange(g.batch(), 1, (b0, b1) -> {
            for (int r = b0 * perImage; r < b1 * perImage; r++) {
                int b = r / perImage, oh = (r % perImage) / g.outW(), ow = r % g.outW();
                int src = r * k;
                for (int i = 0; i < g.kh(); i++) {
                    int ih = oh * g.sh() - g.padTop() + i * g.dh();
                    for (int j = 0; j < g.kw(); j++, src += cin) {
                        int iw = ow * g.sw() - g.padLeft() + j * g.dw();
                        if (ih < 0 || ih >= g.height() || iw < 0 || iw >= g.width()) continue;
                        Elementwise.addInPlace(dx, dxo + ((b * g.height() + ih) * g.width() + iw) * g.channels() + c0, dCols, src, cin);
                    }
                }
            }
        });
    }

    /** y[r, f] += bias[f] for every row r of a (rows × filters) output; with {@code relu}, then y = max(y, 0). */
    public static void addBias(float[] y, int yo, int rows, int filters, float[] bias, int bo, boolean relu) {
        Parallel.forRange(rows, 256, (r0, r1) -> {
            FloatVector zero = FloatVector.zero(S);
            for (int r = r0; r < r1; r++) {
                int p = yo + r * filters;
                int f = 0;
                for (int upper = S.loopBound(filters); f < upper; f += S.length()) {
                    FloatVector v = FloatVector.fromArray(S, y, p + f).add(FloatVector.fromArray(S, bias, bo + f));
                    (relu ? v.max(zero) : v).intoArray(y, p + f);
                }
                for (; f < filters; f++) {
                    float v = y[p + f] + bias[bo + f];
                    y[p + f] = relu ? Math.max(v, 0f) : v;
                }
            }
        });
    }

    /** dZ = dY where y > 0, else 0: the fused ReLU's backward in one pass (twin: {@link ScalarConv#reluBackward}). */
    public static void reluBackward(float[] dy, int dyo, float[] y, int yo, float[] dz, int dzo, int n) {
        Parallel.forRange(n, 1 << 14, (i0, i1) -> {
            FloatVector zero = FloatVector.zero(S);
            int i = i0;
            for (int upper = i0 + S.loopBound(i1 - i0); i < upper; i += S.length()) {
                VectorMask<Float> on = FloatVector.fromArray(S, y, yo + i).compare(VectorOperators.GT, zero);
                zero.blend(FloatVector.fromArray(S, dy, dyo + i), on).intoArray(dz, dzo + i);
            }
            for (; i < i1; i++) dz[dzo + i] = y[yo + i] > 0 ? dy[dyo + i] : 0f;
        });
    }

    /** Max or average pooling per channel (see {@link ScalarConv#pool}); overwrites y. */
    public static void pool(ConvGeometry g, boolean average, float[] x, int xo, float[] y, int yo) {
        int ch = g.channels(), vl = S.length();
        int perImage = g.outH() * g.outW();
        Parallel.forRange(g.rows(), 64, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int b = r / perImage, oh = (r % perImage) / g.outW(), ow = r % g.outW();
                int out = yo + r * ch;
                for (int c = 0; c < ch; c += vl) {
                    VectorMask<Float> m = S.indexInRange(c, ch);
                    FloatVector acc = average ? FloatVector.zero(S) : FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                    int count = 0;
                    for (int i = 0; i < g.kh(); i++) {
                        int ih = oh * g.sh() - g.padTop() + i * g.dh();
                        if (ih < 0 || ih >= g.height()) continue;
                        for (int j = 0; j < g.kw(); j++) {
                            int iw = ow * g.sw() - g.padLeft() + j * g.dw();
                            if (iw < 0 || iw >= g.width()) continue;
                            FloatVector v = FloatVector.fromArray(S, x, xo + ((b * g.height() + ih) * g.width() + iw) * ch + c, m);
                            acc = average ? acc.add(v) : acc.max(v);
                            count++;
                        }
                    }
                    if (average) acc = acc.div(Math.max(1, count));
                    acc.intoArray(y, out + c, m);
                }
            }
        });
    }

    /**
     * dx += the pooling gradient (see {@link ScalarConv#poolBackward}); split by image, so no races. Vectorised across
     * channels like the forward: for max pooling a lane mask remembers which channels already sent their gradient, so
     * each goes to the first window position equal to the maximum, as in the scalar twin.
     */
    public static void poolBackward(ConvGeometry g, boolean average, float[] x, int xo, float[] y, int yo,
                                    float[] dy, int dyo, float[] dx, int dxo) {
        int ch = g.channels(), vl = S.length();
        int perImage = g.outH() * g.outW();
        Parallel.forRange(g.batch(), 1, (b0, b1) -> {
            for (int r = b0 * perImage; r < b1 * perImage; r++) {
                int b = r / perImage, oh = (r % perImage) / g.outW(), ow = r % g.outW();
                int ih0 = oh * g.sh() - g.padTop(), iw0 = ow * g.sw() - g.padLeft();
                int count = 0;
                for (int i = 0; i < g.kh(); i++) {
                    int ih = ih0 + i * g.dh();
                    for (int j = 0; j < g.kw(); j++) {
                        int iw = iw0 + j * g.dw();
                        if (ih >= 0 && ih < g.height() && iw >= 0 && iw < g.width()) count++;
                    }
                }
                for (int c = 0; c < ch; c += vl) {
                    VectorMask<Float> lanes = S.indexInRange(c, ch);
                    FloatVector d = FloatVector.fromArray(S, dy, dyo + r * ch + c, lanes);
                    if (average) d = d.div(count);
                    FloatVector best = average ? null : FloatVector.fromArray(S, y, yo + r * ch + c, lanes);
                    VectorMask<Float> pending = lanes;
                    for (int i = 0; i < g.kh() && pending.anyTrue(); i++) {
                        int ih = ih0 + i * g.dh();
                        if (ih < 0 || ih >= g.height()) continue;
                        for (int j = 0; j < g.kw() && pending.anyTrue(); j++) {
                            int iw = iw0 + j * g.dw();
                            if (iw < 0 || iw >= g.width()) continue;
                            int xi = ((b * g.height() + ih) * g.width() + iw) * ch + c;
                            VectorMask<Float> take = average ? lanes
                                    : FloatVector.fromArray(S, x, xo + xi, lanes).compare(VectorOperators.EQ, best).and(pending);
                            FloatVector cur = FloatVector.fromArray(S, dx, dxo + xi, lanes);
                            cur.add(d, take).intoArray(dx, dxo + xi, lanes);
                            if (!average) pending = pending.andNot(take);
                        }
                    }
                }
            }
        });
    }
}
