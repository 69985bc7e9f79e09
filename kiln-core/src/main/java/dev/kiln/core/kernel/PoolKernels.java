package dev.kiln.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 max and average pooling over channels-last data. Twin: {@link ScalarConv#pool} and
 * {@link ScalarConv#poolBackward} (same arguments).
 *
 * <p>Vectorised across channels: one vector holds the same window position of VL channels. When every window lies
 * inside the input (valid padding, or same padding that adds nothing) and the channel count is a multiple of the
 * vector, the loops run without masks or bounds checks; anything else takes the general path (masked lanes past the
 * channel count; in the backward, a line whose whole-vector loads would run past an array's end, the batch's last,
 * one channel at a time, see {@link #vectorsFit}). Max pooling's
 * gradient goes to the first window position equal to the maximum, as in PyTorch: a lane mask remembers which
 * channels have already sent theirs.
 *
 * <p>Threads: the forward splits over output image rows, the backward over images (windows of one image may overlap,
 * those of two never do), and a small input (one image) stays on the caller's thread: a hand-off costs more than it
 * saves. Results do not depend on the thread count.
 */
public final class PoolKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    /** Below this many element reads a pooling runs on the caller's thread. */
    static final long PARALLEL_WORK = 1L << 16;

    private PoolKernels() {}

    /** True when every window of every output position lies inside the input. */
    static boolean inside(ConvGeometry g) {
        return g.padTop() == 0 && g.padLeft() == 0
                && (g.outH() - 1) * g.sh() + (g.kh() - 1) * g.dh() < g.height()
                && (g.outW() - 1) * g.sw() + (g.kw() - 1) * g.dw() < g.width();
    }

    /** Max or average pooling per channel (see {@link ScalarConv#pool}); overwrites y. */
    public static void pool(ConvGeometry g, boolean average, float[] x, int xo, float[] y, int yo) {
        int lines = g.batch() * g.outH();
        long work = (long) g.rows() * g.channels() * g.kh() * g.kw();
        Body body = BODY.get().set(false, g, average, x, xo, y, yo, null, 0, null, 0);
        try {
            Parallel.forRange(lines, work < PARALLEL_WORK ? lines : 4, body);
        } finally {
            body.clear();
        }
    }

    /**
     * A pooling pass (forward over output lines, or backward over images) as a reusable body, one per calling thread,
     * rather than a capturing lambda: a fresh object on every call of a training step otherwise.
     */
    private static final class Body implements Parallel.RangeBody {
        boolean backward, average, fast;
        ConvGeometry g;
        float[] x, y, dy, dx;
        int xo, yo, dyo, dxo;

        Body set(boolean backward, ConvGeometry g, boolean average, float[] x, int xo, float[] y, int yo, float[] dy, int dyo,
                 float[] dx, int dxo) {
            this.backward = backward;
            this.g = g;
            this.average = average;
            this.fast = inside(g) && g.channels() % VL == 0;
            this.x = x;
            this.xo = xo;
            this.y = y;
            this.yo = yo;
            this.dy = dy;
            this.dyo = dyo;
            this.dx = dx;
            this.dxo = dxo;
            return this;
        }

        @Override
        public void run(int t0, int t1) {
            for (int t = t0; t < t1; t++) {
                if (!backward) {
                    int b = t / g.outH(), oh = t % g.outH();
                    if (fast) poolLineInside(g, average, x, xo, y, yo, b, oh);
                    else poolLine(g, average, x, xo, y, yo, b, oh);
                    continue;
                }
                for (int oh = 0; oh < g.outH(); oh++) {
                    if (fast) backwardLineInside(g, average, x, xo, y, yo, dy, dyo, dx, dxo, t, oh);
                    else if (vectorsFit(g, t, oh, x, xo, y, yo) && vectorsFit(g, t, oh, dx, dxo, dy, dyo)) {
                        backwardLine(g, average, x, xo, y, yo, dy, dyo, dx, dxo, t, oh);
                    } else {
                        backwardLineScalar(g, average, x, xo, y, yo, dy, dyo, dx, dxo, t, oh);
                    }
                }
            }
        }

        /** Drops the arrays so an idle thread's body keeps no model's tensors alive. */
        void clear() {
            g = null;
            x = y = dy = dx = null;
        }
    }

    private static final ThreadLocal<Body> BODY = ThreadLocal.withInitial(Body::new);

    /**
     * Whether every whole vector that {@link #backwardLine} reads or writes for output line (b, oh) lies inside the
     * input-shaped array {@code in} and the output-shaped {@code out}: it reads whole vectors (C2 here does not
     * intrinsify masked loads, it boxes them), so such a line (the last of the batch) runs one channel at a time.
     */
    static boolean vectorsFit(ConvGeometry g, int b, int oh, float[] in, int io, float[] out, int oo) {
        int ch = g.channels();
        int lastRow = Math.min(g.height() - 1, oh * g.sh() - g.padTop() + (g.kh() - 1) * g.dh());
        long inEnd = io + ((long) (b * g.height() + lastRow + 1) * g.width()) * ch + VL;
        long outEnd = oo + ((long) (b * g.outH() + oh + 1) * g.outW()) * ch + VL;
        return inEnd <= in.length && outEnd <= out.length;
    }

    /**
     * One output row (image b, row oh) when all windows are inside and channels fill whole vectors. The accumulator
     * starts from the window's first position and max and mean have their own loops: a vector that may be null, or
     * chosen by a ternary between two vector operations, is not scalar-replaced by C2 and gets boxed on every step.
     */
    private static void poolLineInside(ConvGeometry g, boolean average, float[] x, int xo, float[] y, int yo, int b, int oh) {
        int ch = g.channels(), rowStep = g.dh() * g.width() * ch, colStep = g.dw() * ch, kh = g.kh(), kw = g.kw();
        float count = kh * kw;
        for (int ow = 0; ow < g.outW(); ow++) {
            int base = xo + ((b * g.height() + oh * g.sh()) * g.width() + ow * g.sw()) * ch;
            int out = yo + ((b * g.outH() + oh) * g.outW() + ow) * ch;
            for (int c = 0; c < ch; c += VL) {
                int p0 = base + c;
                FloatVector acc = FloatVector.fromArray(S, x, p0);
                if (average) {
                    for (int i = 0; i < kh; i++) {
                        for (int j = i == 0 ? 1 : 0; j < kw; j++) acc = acc.add(FloatVector.fromArray(S, x, p0 + i * rowStep + j * colStep));
                    }
                    acc.div(count).intoArray(y, out + c);
                } else {
                    for (int i = 0; i < kh; i++) {
                        for (int j = i == 0 ? 1 : 0; j < kw; j++) acc = acc.max(FloatVector.fromArray(S, x, p0 + i * rowStep + j * colStep));
                    }
                    acc.intoArray(y, out + c);
                }
            }
        }
    }

    /** One output row, general case: padded windows skip the positions outside the input; channels masked. */
    private static void poolLine(ConvGeometry g, boolean average, float[] x, int xo, float[] y, int yo, int b, int oh) {
        int ch = g.channels();
        for (int ow = 0; ow < g.outW(); ow++) {
            int out = yo + ((b * g.outH() + oh) * g.outW() + ow) * ch;
            for (int c = 0; c < ch; c += VL) {
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
    }


    /** dx += the pooling gradient (see {@link ScalarConv#poolBackward}); y is the forward's output. */
    public static void poolBackward(ConvGeometry g, boolean average, float[] x, int xo, float[] y, int yo,
                                    float[] dy, int dyo, float[] dx, int dxo) {
        long work = (long) g.rows() * g.channels() * g.kh() * g.kw();
        Body body = BODY.get().set(true, g, average, x, xo, y, yo, dy, dyo, dx, dxo);
        try {
            Parallel.forRange(g.batch(), work < PARALLEL_WORK ? g.batch() : 1, body);
        } finally {
            body.clear();
        }
    }

    private static void backwardLineInside(ConvGeometry g, boolean average, float[] x, int xo, float[] y, int yo,
                                           float[] dy, int dyo, float[] dx, int dxo, int b, int oh) {
        int ch = g.channels(), rowStep = g.dh() * g.width() * ch, colStep = g.dw() * ch;
        float count = g.kh() * g.kw();
        for (int ow = 0; ow < g.outW(); ow++) {
            int base = ((b * g.height() + oh * g.sh()) * g.width() + ow * g.sw()) * ch;
            int r = ((b * g.outH() + oh) * g.outW() + ow) * ch;
            for (int c = 0; c < ch; c += VL) {
                FloatVector d = FloatVector.fromArray(S, dy, dyo + r + c);
                if (average) {
                    d = d.div(count);
                    for (int i = 0, ri = base + c; i < g.kh(); i++, ri += rowStep) {
                        for (int j = 0, p = ri; j < g.kw(); j++, p += colStep) {
                            FloatVector.fromArray(S, dx, dxo + p).add(d).intoArray(dx, dxo + p);
                        }
                    }
                    continue;
                }
                FloatVector best = FloatVector.fromArray(S, y, yo + r + c);
                VectorMask<Float> pending = S.maskAll(true);
                for (int i = 0, ri = base + c; i < g.kh(); i++, ri += rowStep) {
                    for (int j = 0, p = ri; j < g.kw(); j++, p += colStep) {
                        VectorMask<Float> take = FloatVector.fromArray(S, x, xo + p).compare(VectorOperators.EQ, best).and(pending);
                        FloatVector.fromArray(S, dx, dxo + p).add(d, take).intoArray(dx, dxo + p);
                        pending = pending.andNot(take);
                    }
                }
            }
        }
    }

    private static void backwardLine(ConvGeometry g, boolean average, float[] x, int xo, float[] y, int yo,
                                     float[] dy, int dyo, float[] dx, int dxo, int b, int oh) {
        int ch = g.channels();
        for (int ow = 0; ow < g.outW(); ow++) {
            int r = (b * g.outH() + oh) * g.outW() + ow;
            int ih0 = oh * g.sh() - g.padTop(), iw0 = ow * g.sw() - g.padLeft();
            int count = 0;
            for (int i = 0; i < g.kh(); i++) {
                int ih = ih0 + i * g.dh();
                for (int j = 0; j < g.kw(); j++) {
                    int iw = iw0 + j * g.dw();
                    if (ih >= 0 && ih < g.height() && iw >= 0 && iw < g.width()) count++;
                }
            }
            // Whole-vector loads (vectorsFit: inside every array; lanes past the channels read the next pixel and are
            // never stored) and masked stores. No vector may be null on one path (a "best" only max pooling needs):
            // C2 then cannot keep it in a register and boxes every vector of the loop, half a megabyte a step.
            for (int c = 0; c < ch; c += VL) {
                VectorMask<Float> lanes = S.indexInRange(c, ch);
                FloatVector d = FloatVector.fromArray(S, dy, dyo + r * ch + c);
                if (average) {
                    d = d.div(count);
                    for (int i = 0; i < g.kh(); i++) {
                        int ih = ih0 + i * g.dh();
                        if (ih < 0 || ih >= g.height()) continue;
                        for (int j = 0; j < g.kw(); j++) {
                            int iw = iw0 + j * g.dw();
                            if (iw < 0 || iw >= g.width()) continue;
                            int xi = dxo + ((b * g.height() + ih) * g.width() + iw) * ch + c;
                            FloatVector.fromArray(S, dx, xi).add(d).intoArray(dx, xi, lanes);
                        }
                    }
                    continue;
                }
                FloatVector best = FloatVector.fromArray(S, y, yo + r * ch + c);
                VectorMask<Float> pending = lanes;
                for (int i = 0; i < g.kh(); i++) {
                    int ih = ih0 + i * g.dh();
                    if (ih < 0 || ih >= g.height()) continue;
                    for (int j = 0; j < g.kw(); j++) {
                        int iw = iw0 + j * g.dw();
                        if (iw < 0 || iw >= g.width()) continue;
                        int xi = ((b * g.height() + ih) * g.width() + iw) * ch + c;
                        VectorMask<Float> take = FloatVector.fromArray(S, x, xo + xi).compare(VectorOperators.EQ, best).and(pending);
                        FloatVector.fromArray(S, dx, dxo + xi).add(d, take).intoArray(dx, dxo + xi, lanes);
                        pending = pending.andNot(take);
                    }
                }
            }
        }
    }

    /**
     * {@link #backwardLine} without vectors, for a channel count that is not a multiple of the vector length: there the
     * masked vector accesses left C2's intrinsics for the Vector API's boxing fallback (half a megabyte a step for 8
     * channels). Window positions outside, channels inside (contiguous); a max pool's gradient goes to the first
     * position in window order that holds the maximum, tracked per channel in a bit mask (64 channels at a time).
     */
    private static void backwardLineScalar(ConvGeometry g, boolean average, float[] x, int xo, float[] y, int yo,
                                           float[] dy, int dyo, float[] dx, int dxo, int b, int oh) {
        int ch = g.channels();
        for (int ow = 0; ow < g.outW(); ow++) {
            int r = ((b * g.outH() + oh) * g.outW() + ow) * ch;
            int ih0 = oh * g.sh() - g.padTop(), iw0 = ow * g.sw() - g.padLeft();
            int count = 0;
            for (int i = 0; i < g.kh(); i++) {
                int ih = ih0 + i * g.dh();
                for (int j = 0; j < g.kw(); j++) {
                    int iw = iw0 + j * g.dw();
                    if (ih >= 0 && ih < g.height() && iw >= 0 && iw < g.width()) count++;
                }
            }
            for (int c0 = 0; c0 < ch; c0 += 64) {
                int c1 = Math.min(ch, c0 + 64);
                long pending = c1 - c0 == 64 ? -1L : (1L << (c1 - c0)) - 1;
                for (int i = 0; i < g.kh() && pending != 0; i++) {
                    int ih = ih0 + i * g.dh();
                    if (ih < 0 || ih >= g.height()) continue;
                    for (int j = 0; j < g.kw() && pending != 0; j++) {
                        int iw = iw0 + j * g.dw();
                        if (iw < 0 || iw >= g.width()) continue;
                        int xi = ((b * g.height() + ih) * g.width() + iw) * ch;
                        if (average) {
                            for (int c = c0; c < c1; c++) dx[dxo + xi + c] += dy[dyo + r + c] / count;
                            continue;
                        }
                        for (int c = c0; c < c1; c++) {
                            long bit = 1L << (c - c0);
                            if ((pending & bit) != 0 && x[xo + xi + c] == y[yo + r + c]) {
                                dx[dxo + xi + c] += dy[dyo + r + c];
                                pending &= ~bit;
                            }
                        }
                    }
                }
            }
        }
    }
}
