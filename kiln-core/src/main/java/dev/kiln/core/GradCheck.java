package dev.kiln.core;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Checks the analytic gradients of a tensor function against central finite differences, in double
 * precision, element by element (like {@code torch.autograd.gradcheck}). Use it for every op and layer,
 * and for your own custom ops.
 *
 * <p>The inputs are copied to FLOAT64 leaves that require gradients, so the function runs through the
 * scalar float64 kernels. Its output is reduced to a scalar by a fixed weighted sum {@code Σ w·out} with
 * weights drawn from a seeded {@link Rng} in [0.5, 1.5) with random signs, so every output element
 * contributes and no two contribute alike. Back-propagating that scalar gives the analytic gradient;
 * {@code (L(x + ε) − L(x − ε)) / 2ε} per input element gives the numeric one. An element passes when
 * {@code |analytic − numeric| <= atol + rtol·|numeric|}.
 *
 * <p>Keep inputs away from kinks (ReLU and |x| at 0, ties of max) and outside the domain edges of the
 * function: finite differences straddling a kink disagree with any one-sided derivative.
 *
 * <p>Not thread-safe per call; calls on different threads are independent.
 */
public final class GradCheck {
    private GradCheck() {}

    /**
     * Tolerances and the step of a check. {@code eps} is the finite-difference step; {@code seed} fixes the
     * output weights.
     */
    public record Options(double eps, double atol, double rtol, long seed) {
        public static final Options DEFAULT = new Options(1e-6, 1e-6, 1e-5, 42);

        public Options {
            if (!(eps > 0) || !(atol >= 0) || !(rtol >= 0)) {
                throw new IllegalArgumentException("GradCheck.Options needs eps > 0 and atol, rtol >= 0; got eps=" + eps
                        + ", atol=" + atol + ", rtol=" + rtol);
            }
        }

        public Options withEps(double v) { return new Options(v, atol, rtol, seed); }

        public Options withAtol(double v) { return new Options(eps, v, rtol, seed); }

        public Options withRtol(double v) { return new Options(eps, atol, v, seed); }

        public Options withSeed(long v) { return new Options(eps, atol, rtol, v); }
    }

    /**
     * What a passing check compared: the number of input elements, the largest absolute difference, and the
     * largest fraction of its tolerance any element used (at most 1 for a pass; near 1 means the check is tight).
     */
    public record Result(int elementsChecked, double maxAbsDiff, double maxToleranceUsed) {}

    /** Thrown when an analytic gradient element disagrees with its finite difference. */
    public static final class Mismatch extends AssertionError {
        private final int input;
        private final int element;
        private final double analytic;
        private final double numeric;

        Mismatch(String message, int input, int element, double analytic, double numeric) {
            super(message);
            this.input = input;
            this.element = element;
            this.analytic = analytic;
            this.numeric = numeric;
        }

        public int input() { return input; }

        public int element() { return element; }

        public double analytic() { return analytic; }

        public double numeric() { return numeric; }
    }

    /** Checks {@code f} at {@code inputs} with {@link Options#DEFAULT}. */
    public static Result check(Function<Tensor[], Tensor> f, Tensor... inputs) {
        return check(f, Options.DEFAULT, inputs);
    }

    /**
     * Checks {@code f} at {@code inputs} (any dtype; they are copied to FLOAT64 and never modified).
     *
     * @throws Mismatch at the first element whose gradients disagree, naming the input, the element and both values
     */
    public static Result check(Function<Tensor[], Tensor> f, Options options, Tensor... inputs) {
        Tensor[] x = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            x[i] = Tensor.of(inputs[i].toDoubleArray(), inputs[i].shape).requiresGrad(true);
        }
        Tensor out = f.apply(x);
        if (out.dtype != DType.FLOAT64) {
            throw new IllegalArgumentException("GradCheck: the function returned " + out.dtype
                    + " for FLOAT64 inputs; it must stay in the inputs' dtype (create constants with scalarLike or to(dtype))");
        }
        Rng rng = new Rng(options.seed());
        double[] w = new double[out.size()];
        for (int k = 0; k < w.length; k++) w[k] = (rng.uniform() < 0.5 ? -1 : 1) * rng.uniform(0.5, 1.5);
        if (out.requiresGrad()) out.mul(Tensor.of(w, out.shape)).sum().backward();

        int checked = 0;
        double maxAbs = 0, maxUsed = 0;
        for (int i = 0; i < x.length; i++) {
            double[] data = x[i].d;
            Tensor g = x[i].grad();
            double[] analytic = g == null ? new double[data.length] : g.toDoubleArray();
            for (int e = 0; e < data.length; e++) {
                double saved = data[e];
                data[e] = saved + options.eps();
                double plus = weightedSum(f, x, w);
                data[e] = saved - options.eps();
                double minus = weightedSum(f, x, w);
                data[e] = saved;
                double numeric = (plus - minus) / (2 * options.eps());
                double diff = Math.abs(analytic[e] - numeric);
                double tolerance = options.atol() + options.rtol() * Math.abs(numeric);
                if (!(diff <= tolerance)) {
                    throw new Mismatch(String.format(java.util.Locale.ROOT,
                            "gradient check failed for input %d of shape %s at element %d %s (value %.6g): analytic %.9g vs numeric %.9g"
                                    + " (|diff| %.3g > atol %.1g + rtol %.1g·|numeric|)%s",
                            i, Shape.str(x[i].shape), e, Arrays.toString(unravel(e, x[i].shape)), saved, analytic[e], numeric,
                            diff, options.atol(), options.rtol(), g == null ? "; backward never reached this input" : ""),
                            i, e, analytic[e], numeric);
                }
                checked++;
                maxAbs = Math.max(maxAbs, diff);
                maxUsed = Math.max(maxUsed, tolerance > 0 ? diff / tolerance : 0);
            }
        }
        return new Result(checked, maxAbs, maxUsed);
    }

    /** Σ w·f(x), evaluated without recording a graph. */
    private static double weightedSum(Function<Tensor[], Tensor> f, Tensor[] x, double[] w) {
        double[] out = Grad.noGrad(() -> f.apply(x)).toDoubleArray();
        if (out.length != w.length) {
            throw new IllegalStateException("GradCheck: the function's output size changed from " + w.length + " to " + out.length
                    + " between calls; it must be deterministic");
        }
        double s = 0;
        for (int k = 0; k < out.length; k++) s += w[k] * out[k];
        return s;
    }

    private static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            idx[i] = shape[i] == 0 ? 0 : flat % shape[i];
            flat = shape[i] == 0 ? 0 : flat / shape[i];
        }
        return idx;
    }
}
