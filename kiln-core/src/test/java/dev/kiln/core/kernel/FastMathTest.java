package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link FastMath} against {@link Math} in double rounded to float (the stated ulp bounds), and its vector lanes
 * against its scalar methods bit for bit (the determinism the kernels rely on), on a dense sweep, random inputs,
 * array tails and the special values.
 */
class FastMathTest {
    interface ArrayFn {
        void apply(float[] x, int xo, float[] y, int yo, int n);
    }

    interface ScalarFn {
        float apply(float x);
    }

    static ArrayFn array(String fn) {
        return switch (fn) {
            case "exp" -> FastMath::exp;
            case "sigmoid" -> FastMath::sigmoid;
            default -> FastMath::tanh;
        };
    }

    static ScalarFn scalar(String fn) {
        return switch (fn) {
            case "exp" -> FastMath::exp;
            case "sigmoid" -> FastMath::sigmoid;
            default -> FastMath::tanh;
        };
    }

    static DoubleUnaryOperator reference(String fn) {
        return switch (fn) {
            case "exp" -> Math::exp;
            case "sigmoid" -> x -> 1 / (1 + Math.exp(-x));
            default -> Math::tanh;
        };
    }

    /** Distance in units in the last place between two finite floats of any sign. */
    static long ulps(float a, float b) {
        int ia = Float.floatToRawIntBits(a), ib = Float.floatToRawIntBits(b);
        long la = ia < 0 ? (long) Integer.MIN_VALUE - ia : ia, lb = ib < 0 ? (long) Integer.MIN_VALUE - ib : ib;
        return Math.abs(la - lb);
    }

    /** Inputs: a dense sweep of [lo, hi], the same near zero, and random values; n of them, at offset 3 (unaligned). */
    static float[] inputs(double lo, double hi, int n) {
        float[] x = new float[n + 3];
        Rng rng = new Rng(17);
        for (int i = 0; i < n; i++) {
            double v = switch (i % 3) {
                case 0 -> lo + (hi - lo) * i / n;
                case 1 -> (lo + (hi - lo) * i / n) * 1e-3;
                default -> rng.uniform(lo, hi);
            };
            x[3 + i] = (float) v;
        }
        return x;
    }

    @ParameterizedTest(name = "{0} on [{1}, {2}] within {3} ulp")
    @CsvSource({"exp, -87.3, 88.7, 2", "sigmoid, -60, 60, 3", "tanh, -12, 12, 3", "tanh, -0.7, 0.7, 3"})
    void withinTheStatedUlpOfMathAndLanesEqualScalars(String fn, double lo, double hi, long maxUlp) {
        int n = 300_001;   // odd: the array call ends in a scalar tail
        float[] x = inputs(lo, hi, n), y = new float[n + 5];
        array(fn).apply(x, 3, y, 1, n);
        ScalarFn one = scalar(fn);
        DoubleUnaryOperator ref = reference(fn);
        long worst = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[3 + i], v = y[1 + i];
            assertThat(Float.floatToRawIntBits(v)).as("%s(%s): lane vs scalar", fn, xi).isEqualTo(Float.floatToRawIntBits(one.apply(xi)));
            worst = Math.max(worst, ulps(v, (float) ref.applyAsDouble(xi)));
        }
        assertThat(worst).as("%s: worst ulp error", fn).isLessThanOrEqualTo(maxUlp);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"exp", "sigmoid", "tanh"})
    void specialValues(String fn) {
        float[] x = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 88.7f, 88.73f, 89f, -87.33f, -87.4f, -100f, -103.9f,
                -104.5f, -1000f, 1000f, 1e-30f, -1e-30f, Float.MIN_VALUE, 0.625f, -0.625f, 0.6249999f};
        int n = x.length;
        float[] padded = new float[64];
        for (int rep = 0; rep < 64 / n; rep++) System.arraycopy(x, 0, padded, rep * n, n);   // the specials in vector lanes too
        float[] y = new float[64];
        array(fn).apply(padded, 0, y, 0, 64);
        ScalarFn one = scalar(fn);
        DoubleUnaryOperator ref = reference(fn);
        for (int i = 0; i < 64; i++) {
            float xi = padded[i], v = y[i], s = one.apply(xi), e = (float) ref.applyAsDouble(xi);
            if (Float.isNaN(e)) {
                assertThat(v).as("%s(%s)", fn, xi).isNaN();
                assertThat(s).isNaN();
                continue;
            }
            assertThat(Float.floatToRawIntBits(v)).as("%s(%s): lane vs scalar", fn, xi).isEqualTo(Float.floatToRawIntBits(s));
            if (fn.equals("exp") && Math.abs(e) < Float.MIN_NORMAL) {
                assertThat(Math.abs(v - e)).as("exp(%s) underflow", xi).isLessThanOrEqualTo(0x1p-148f);
            } else if (fn.equals("sigmoid") && Math.abs(e) < Float.MIN_NORMAL) {
                assertThat(Math.abs(v - e)).as("sigmoid(%s) underflow", xi).isLessThan(Float.MIN_NORMAL);
            } else if (Float.isInfinite(e) || e == 0f || e == 1f || e == -1f) {
                assertThat(v).as("%s(%s)", fn, xi).isEqualTo(e);   // saturation is exact, signs included
            } else {
                assertThat(ulps(v, e)).as("%s(%s) = %s vs %s", fn, xi, v, e).isLessThanOrEqualTo(3);
            }
        }
        if (fn.equals("sigmoid")) assertThat(FastMath.sigmoid(-200f)).isEqualTo(0f);
        if (fn.equals("tanh")) assertThat(Float.floatToRawIntBits(FastMath.tanh(-0f))).isEqualTo(Float.floatToRawIntBits(-0f));
    }
}
