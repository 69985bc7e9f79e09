package dev.kiln.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Deterministic float32 exp, sigmoid and tanh, vectorised, for the kernels whose time goes to transcendentals
 * (gate activations, softmax). {@link Math#exp} per element costs tens of cycles, and the Vector API's own
 * EXP/TANH lanes are not an option: their compiled (SVML) and interpreted (per-lane {@code Math}) results differ
 * in the last bit, so a run would depend on when C2 kicked in. Here every function is built only from IEEE
 * operations that are exactly specified in both modes — add, multiply, divide, {@code fma}, min/max, compares and
 * integer bit moves — so the vector lanes and the scalar methods of this class return the same bits for every
 * input, interpreted or compiled, on any vector length. Kernels may therefore mix vector bodies and scalar tails
 * freely: the result of an element never depends on where a loop or a thread split falls.
 *
 * <p>Accuracy (checked against {@link Math} in double, rounded to float, by {@code FastMathTest} on a dense sweep
 * and random inputs):
 * <ul>
 *   <li>{@code exp}: at most 2 ulp where the result is a normal float (x in [-87.3, 88.7]); below that the result
 *       underflows gradually to 0 (absolute error under 2<sup>-148</sup>); x above 88.72 gives +∞, −∞ gives 0,
 *       NaN gives NaN. Method: x = n·ln2 + r with n = round(x·log2 e) (Cody–Waite with a two-part ln 2),
 *       e<sup>r</sup> by its degree-7 Taylor polynomial on |r| ≤ ln2/2, then the scale 2<sup>n</sup> applied as
 *       two factors so that gradual underflow and n = 128 need no special case.</li>
 *   <li>{@code sigmoid}: 1 / (1 + exp(−x)): at most 3 ulp where the result is a normal float (x &gt; −87.3); below
 *       that it flushes to 0 (absolute error under 2<sup>−126</sup>); saturates to exactly 0 and 1, NaN stays NaN.</li>
 *   <li>{@code tanh}: at most 3 ulp; for |x| &lt; 0.625 an odd polynomial (Cephes {@code tanhf}, Moshier 1992)
 *       so small arguments keep their relative accuracy, else ±(1 − 2 / (exp(2|x|) + 1)). tanh(±0) = ±0.</li>
 * </ul>
 * <p>Using it from a kernel: call the array methods ({@link #exp(float[], int, float[], int, int)} and its
 * siblings), one function per call over a row or block, and about one call site per function in a method: C2 stops
 * inlining Vector API code into a method after a node budget ({@code NodeCountInliningCutoff}). There are no vector
 * methods to call, on purpose (see the array section): a vector crossing a call C2 did not inline is boxed on the
 * heap and runs the slow Java fallback, which a profile shows as gigabytes a second of {@code jdk.incubator.vector}
 * allocations.
 *
 * <p>Thread-safety: stateless.
 */
public final class FastMath {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private FastMath() {}

    // exp: the clamp keeps n in [-150, 128], where both scale factors 2^(n>>1) and 2^(n - (n>>1)) are normal floats
    private static final float EXP_LO = -104f, EXP_HI = 88.8f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693147182464599609375f;            // (float) ln 2
    private static final float LN2_LO = -1.90465429995776853e-9f;            // ln 2 − LN2_HI
    /** 1.5·2<sup>23</sup>: adding it rounds to an integer (ties to even), held in the low mantissa bits. */
    private static final float MAGIC = 12582912f;
    private static final int MAGIC_BITS = Float.floatToRawIntBits(MAGIC);
    // 1/k! for the Taylor polynomial of e^r
    private static final float E2 = 1f / 2, E3 = 1f / 6, E4 = 1f / 24, E5 = 1f / 120, E6 = 1f / 720, E7 = 1f / 5040;
    // tanh on |x| < TANH_SMALL: x + x·z·P(z), z = x² (Cephes tanhf)
    private static final float TANH_SMALL = 0.625f;
    private static final float T1 = -5.70498872745e-3f, T2 = 2.06390887954e-2f, T3 = -5.37397155531e-2f, T4 = 1.33314422036e-1f,
            T5 = -3.33332819422e-1f;
    private static final int SIGN_BIT = 0x80000000;

    // ---------------------------------------------------------------- scalar (bit for bit what a vector lane computes)

    /** e<sup>x</sup>; see the class comment for the error bound. */
    public static float exp(float x) {
        float xc = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float t = Math.fma(xc, LOG2E, MAGIC);
        float n = t - MAGIC;
        float r = Math.fma(n, -LN2_HI, xc);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(E7, r, E6);
        p = Math.fma(p, r, E5);
        p = Math.fma(p, r, E4);
        p = Math.fma(p, r, E3);
        p = Math.fma(p, r, E2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int ni = Float.floatToRawIntBits(t) - MAGIC_BITS;
        int n1 = ni >> 1, n2 = ni - n1;
        return p * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
    }

    /** 1 / (1 + e<sup>−x</sup>). */
    public static float sigmoid(float x) {
        return 1f / (1f + exp(-x));
    }

    /** tanh x. */
    public static float tanh(float x) {
        float a = Math.abs(x);
        float m;
        if (a < TANH_SMALL) {
            float z = a * a;
            float p = Math.fma(T1, z, T2);
            p = Math.fma(p, z, T3);
            p = Math.fma(p, z, T4);
            p = Math.fma(p, z, T5);
            m = Math.fma(p * z, a, a);
        } else {
            m = 1f - 2f / (exp(a + a) + 1f);
        }
        return Math.copySign(m, x);   // odd, tanh(-0) = -0
    }

    // ---------------------------------------------------------------- arrays
    //
    // Each vector loop spells out its whole computation in Vector API operations and calls no vector-valued method of
    // this class, so exp's steps appear in all three. A vector helper would have to be inlined into every loop, and C2
    // will not inline one it has already compiled on its own into a big method (which it does when C1-compiled code
    // calls the helper often during warm-up): the vector crossing that call is then boxed on the heap on every
    // iteration for the rest of the run: an LSTM with dropout (its gates through Elementwise.unary) showed gigabytes
    // of boxed vectors in a 25-second profile. A call to one of these array methods is harmless either way: inlined, its
    // vectors stay in registers; not inlined, only arrays cross it.

    /** y[yo + i] = e<sup>x[xo + i]</sup> for i in [0, n); x and y may be the same array at the same offset. */
    public static void exp(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector xc = v.max(EXP_LO).min(EXP_HI);
            FloatVector t = xc.fma(LOG2E, MAGIC);
            FloatVector k = t.sub(MAGIC);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), xc);
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(E7, E6);   // E7·r + E6, as Math.fma(E7, r, E6)
            p = p.fma(r, FloatVector.broadcast(S, E5));
            p = p.fma(r, FloatVector.broadcast(S, E4));
            p = p.fma(r, FloatVector.broadcast(S, E3));
            p = p.fma(r, FloatVector.broadcast(S, E2));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            IntVector ni = t.reinterpretAsInts().sub(MAGIC_BITS);
            IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1), n2 = ni.sub(n1);
            FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector e = p.mul(s1).mul(s2);
            e.intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] = exp(x[xo + i]);
    }

    /** y[yo + i] = σ(x[xo + i]) = 1 / (1 + e<sup>−x[xo + i]</sup>) for i in [0, n); in place allowed. */
    public static void sigmoid(float[] x, int xo, float[] y, int yo, int n) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i).neg();
            FloatVector xc = v.max(EXP_LO).min(EXP_HI);
            FloatVector t = xc.fma(LOG2E, MAGIC);
            FloatVector k = t.sub(MAGIC);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), xc);
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(E7, E6);   // E7·r + E6, as Math.fma(E7, r, E6)
            p = p.fma(r, FloatVector.broadcast(S, E5));
            p = p.fma(r, FloatVector.broadcast(S, E4));
            p = p.fma(r, FloatVector.broadcast(S, E3));
            p = p.fma(r, FloatVector.broadcast(S, E2));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            IntVector ni = t.reinterpretAsInts().sub(MAGIC_BITS);
            IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1), n2 = ni.sub(n1);
            FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector e = p.mul(s1).mul(s2);
            one.div(e.add(one)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] = sigmoid(x[xo + i]);
    }

    /** y[yo + i] = tanh(x[xo + i]) for i in [0, n); in place allowed. */
    public static void tanh(float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector a = v.abs();
            FloatVector z = a.mul(a);
            FloatVector q = z.fma(T1, T2);   // T1·z + T2, as Math.fma(T1, z, T2)
            q = q.fma(z, FloatVector.broadcast(S, T3));
            q = q.fma(z, FloatVector.broadcast(S, T4));
            q = q.fma(z, FloatVector.broadcast(S, T5));
            FloatVector small = q.mul(z).fma(a, a);
            FloatVector a2 = a.add(a);
            FloatVector xc = a2.max(EXP_LO).min(EXP_HI);
            FloatVector t = xc.fma(LOG2E, MAGIC);
            FloatVector k = t.sub(MAGIC);
            FloatVector r = k.fma(FloatVector.broadcast(S, -LN2_HI), xc);
            r = k.fma(FloatVector.broadcast(S, -LN2_LO), r);
            FloatVector p = r.fma(E7, E6);   // E7·r + E6, as Math.fma(E7, r, E6)
            p = p.fma(r, FloatVector.broadcast(S, E5));
            p = p.fma(r, FloatVector.broadcast(S, E4));
            p = p.fma(r, FloatVector.broadcast(S, E3));
            p = p.fma(r, FloatVector.broadcast(S, E2));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            p = p.fma(r, FloatVector.broadcast(S, 1f));
            IntVector ni = t.reinterpretAsInts().sub(MAGIC_BITS);
            IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1), n2 = ni.sub(n1);
            FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
            FloatVector e = p.mul(s1).mul(s2);
            FloatVector big = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(e.add(1f)));
            FloatVector m = big.blend(small, a.lt(TANH_SMALL));
            m.reinterpretAsInts().or(v.reinterpretAsInts().and(SIGN_BIT)).reinterpretAsFloats().intoArray(y, yo + i);   // Math.copySign(m, x)
        }
        for (; i < n; i++) y[yo + i] = tanh(x[xo + i]);
    }
}
