package dev.kiln.bench;

import dev.kiln.core.kernel.Gemm;
import dev.kiln.core.kernel.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * GFLOP/s of {@link Gemm#gemm} on square shapes (256…2048) and on the skinny shapes of MLP training
 * (784-128-10 at batch 32 and 128: the forward product and the weight gradient Xᵀ·dY, plus an A·Bᵀ case).
 * Each shape: an untimed warm-up (JIT), then seven timed passes of about {@code --seconds / 7}; the median and
 * the spread are printed, one line per shape {@code RESULT kiln gemm_MxKxN_ta_tb gflops=...}. A plain main
 * rather than JMH: one shape's timing is a long loop over one call, which JMH would only wrap.
 *
 * <p>Beside it, when {@code libopenblas.so.0} is present, {@code cblas_sgemm} on the same shapes through
 * {@code java.lang.foreign} ({@code RESULT openblas ...}; operands copied to native memory once, outside the
 * timing), so the table can give Java/OpenBLAS ratios. OpenBLAS uses its own threads ({@code OPENBLAS_NUM_THREADS}).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp 'kiln-bench/target/kiln-bench-0.1.0-SNAPSHOT.jar:kiln-bench/target/lib/*' \
 *     dev.kiln.bench.GemmBench [--seconds 2] [--square-only | --skinny-only]
 * </pre>
 */
public final class GemmBench {
    private GemmBench() {}

    /** m, k, n, ta, tb. */
    private static final int[][] SKINNY = {
        {32, 784, 128, 0, 0}, {784, 32, 128, 1, 0}, {32, 128, 784, 0, 1},
        {128, 784, 128, 0, 0}, {784, 128, 128, 1, 0}, {128, 128, 784, 0, 1},
    };
    private static final int[][] SQUARE = {{256, 256, 256, 0, 0}, {512, 512, 512, 0, 0}, {1024, 1024, 1024, 0, 0}, {2048, 2048, 2048, 0, 0}};

    public static void main(String[] args) {
        double seconds = 2;
        boolean square = true, skinny = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--square-only" -> skinny = false;
                case "--skinny-only" -> square = false;
                default -> {
                    System.err.println("usage: GemmBench [--seconds 2] [--square-only | --skinny-only]");
                    System.exit(2);
                }
            }
        }
        System.out.println("INFO kiln gemm threads=" + Parallel.THREADS + " jdk=" + Runtime.version());
        if (skinny) for (int[] s : SKINNY) run(s, seconds);
        if (square) for (int[] s : SQUARE) run(s, seconds);
    }

    private static void run(int[] s, double seconds) {
        int m = s[0], k = s[1], n = s[2];
        boolean ta = s[3] == 1, tb = s[4] == 1;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (i % 7) * 0.1f - 0.3f;
        for (int i = 0; i < b.length; i++) b[i] = (i % 5) * 0.1f - 0.2f;
        int lda = ta ? m : k, ldb = tb ? k : n;
        String name = String.format(Locale.ROOT, "gemm_%dx%dx%d%s%s", m, k, n, ta ? "_ta" : "", tb ? "_tb" : "");
        time("kiln", name, 2.0 * m * n * k, seconds, () -> Gemm.gemm(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, c, 0, n, false));
        if (SGEMM != null) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment na = arena.allocateFrom(ValueLayout.JAVA_FLOAT, a), nb = arena.allocateFrom(ValueLayout.JAVA_FLOAT, b);
                MemorySegment nc = arena.allocate(ValueLayout.JAVA_FLOAT, c.length);
                time("openblas", name, 2.0 * m * n * k, seconds, () -> {
                    try {
                        // CblasRowMajor 101, CblasNoTrans 111, CblasTrans 112
                        SGEMM.invokeExact(101, ta ? 112 : 111, tb ? 112 : 111, m, n, k, 1f, na, lda, nb, ldb, 0f, nc, n);
                    } catch (Throwable e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
        }
    }

    private static void time(String who, String name, double flop, double seconds, Runnable call) {
        // Warm-up by time and count, so the JIT has compiled the kernel before the per-call cost sets the reps.
        long t0 = System.nanoTime();
        int calls = 0;
        while (calls < 50 || System.nanoTime() - t0 < seconds * 0.3e9) {
            call.run();
            calls++;
        }
        t0 = System.nanoTime();
        for (int w = 0; w < 5; w++) call.run();
        double once = Math.max(1e-7, (System.nanoTime() - t0) / 5e9);
        int reps = (int) Math.max(1, Math.min(1_000_000, seconds / 7 / once));
        double[] g = new double[7];
        for (int t = 0; t < g.length; t++) {
            long start = System.nanoTime();
            for (int r = 0; r < reps; r++) call.run();
            g[t] = flop * reps / (System.nanoTime() - start);
        }
        Arrays.sort(g);
        System.out.printf(Locale.ROOT, "RESULT %s %s gflops=%.1f%n", who, name, g[3]);
        System.out.printf(Locale.ROOT, "INFO %s %s min=%.1f max=%.1f reps=%d%n", who, name, g[0], g[6], reps);
    }

    /** {@code cblas_sgemm} from the system's OpenBLAS, or null when it is not installed. */
    private static final MethodHandle SGEMM = openBlas();

    private static MethodHandle openBlas() {
        for (String lib : new String[] {"/lib/x86_64-linux-gnu/libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
                "/lib/aarch64-linux-gnu/libopenblas.so.0", "/usr/lib64/libopenblas.so.0"}) {
            if (!Files.exists(Path.of(lib))) continue;
            SymbolLookup look = SymbolLookup.libraryLookup(Path.of(lib), Arena.global());
            var I = ValueLayout.JAVA_INT;
            var F = ValueLayout.JAVA_FLOAT;
            var P = ValueLayout.ADDRESS;
            return look.find("cblas_sgemm").map(sym -> Linker.nativeLinker().downcallHandle(sym,
                    FunctionDescriptor.ofVoid(I, I, I, I, I, I, F, P, I, P, I, F, P, I))).orElse(null);
        }
        System.out.println("INFO openblas not found (apt-get install libopenblas0-pthread): Java kernel only");
        return null;
    }
}
