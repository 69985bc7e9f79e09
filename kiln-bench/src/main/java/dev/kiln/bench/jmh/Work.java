package dev.kiln.bench.jmh;

import java.util.Locale;
import java.util.Map;

/**
 * The work one benchmark call does, so a JMH score in calls/s becomes GFLOP/s or GB/s: the FLOPs of a GEMM shape and
 * the bytes an element-wise kernel must move. One table, read by the benchmarks' tests and by {@link KernelBench}'s
 * report, so the two cannot disagree about what a call is.
 */
public final class Work {
    private Work() {}

    /**
     * Bytes read plus bytes written per element by each element-wise benchmark method, counting every array the
     * kernel touches once (what a perfect cache would leave): a kernel that reaches the copy's GB/s is bandwidth-bound.
     */
    static final Map<String, Integer> BYTES_PER_ELEMENT = Map.ofEntries(
            Map.entry("copy", 8),            // read x, write out
            Map.entry("add", 12),            // read a and b, write out
            Map.entry("mul", 12),
            Map.entry("relu", 8),
            Map.entry("sum", 4),             // read x only
            Map.entry("addInPlace", 12),     // read y and x, write y
            Map.entry("scale", 8),           // read x, write x (a broadcast scalar operand)
            Map.entry("exp", 8),
            Map.entry("sigmoid", 8),
            Map.entry("tanh", 8),
            Map.entry("expTensor", 8),
            Map.entry("softmaxXent", 8),     // read logits, write probabilities (labels and losses: 8 bytes a row, not counted)
            Map.entry("adam", 28),           // read p, g, m, v; write p, m, v
            Map.entry("openblasSaxpy", 12),  // y += a·x: read x and y, write y
            Map.entry("openblasSscal", 8));  // x *= a

    /** Elements a call of {@code method} covers at size {@code n} (softmax works on whole rows of {@link ElementwiseBenchmark#CLASSES}). */
    static long elements(String method, int n) {
        return method.equals("softmaxXent") ? (long) (n / ElementwiseBenchmark.CLASSES) * ElementwiseBenchmark.CLASSES : n;
    }

    static long bytes(String method, int n) {
        Integer perElement = BYTES_PER_ELEMENT.get(method);
        if (perElement == null) throw new IllegalArgumentException("no byte count for element-wise benchmark '" + method + "'; add it to Work");
        return perElement * elements(method, n);
    }

    /**
     * A GEMM shape "MxKxN[_ta][_tb]" (op(A) M×K, op(B) K×N, the suffixes transpose the stored operand) as {M, K, N, ta,
     * tb}; also {@code bench/gemm --shapes}' parser.
     */
    public static int[] shape(String s) {
        String[] parts = s.strip().split("_");
        String[] dims = parts[0].split("x");
        if (dims.length != 3) throw new IllegalArgumentException("shape '" + s + "' is not MxKxN[_ta][_tb]");
        int[] out = {Integer.parseInt(dims[0]), Integer.parseInt(dims[1]), Integer.parseInt(dims[2]), 0, 0};
        for (int i = 1; i < parts.length; i++) {
            switch (parts[i]) {
                case "ta" -> out[3] = 1;
                case "tb" -> out[4] = 1;
                default -> throw new IllegalArgumentException("shape '" + s + "': unknown suffix _" + parts[i] + " (expected _ta or _tb)");
            }
        }
        return out;
    }

    /** 2·M·N·K: one multiply and one add per term. */
    static double flops(String shape) {
        int[] s = shape(shape);
        return 2.0 * s[0] * s[1] * s[2];
    }

    /** "784x32x128_ta" → "32×784ᵀ · 32×128": the stored operands, as bench/gemm prints them. */
    static String describe(String shape) {
        int[] s = shape(shape);
        int m = s[0], k = s[1], n = s[2];
        boolean ta = s[3] == 1, tb = s[4] == 1;
        return String.format(Locale.ROOT, "%d×%d%s · %d×%d%s", ta ? k : m, ta ? m : k, ta ? "ᵀ" : "", tb ? n : k, tb ? k : n, tb ? "ᵀ" : "");
    }
}
