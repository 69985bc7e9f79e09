package dev.kiln.bench;

import dev.kiln.core.kernel.Gemm;
import dev.kiln.core.kernel.OpenBlas;
import dev.kiln.core.kernel.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * GFLOP/s of Kiln's pure-Java sgemm ({@link Gemm#gemmJava}) beside OpenBLAS's {@code cblas_sgemm} (through
 * {@link OpenBlas}, the same path {@code kiln.blas} uses) on square shapes (256…2048) and on the skinny shapes of
 * MLP training (784-128-10 at batch 32 and 128: the forward product X·W, the weight gradient Xᵀ·dY and the
 * input gradient dY·Wᵀ of the 784→128 layer, and the same three of the 128→10 head: every product its training step
 * makes, and the dY·Wᵀ a deeper network's first layer would), with the Java/OpenBLAS ratio.
 *
 * <p>Per shape: an untimed warm-up of each side (JIT), then seven timed passes of about {@code --seconds / 7}
 * each, Java and OpenBLAS alternating pass by pass so a burst of load on this shared machine lands on both; the
 * median and the spread are printed. Both sides use {@code kiln.threads} threads (Kiln's pool; OpenBLAS is set to
 * the same count). Lines: {@code RESULT java|openblas gemm_MxKxN[_ta][_tb] gflops=...}, then a table. A plain main
 * rather than JMH: one shape's timing is a long loop over one call, which JMH would only wrap.
 *
 * <p>{@code --cpu-time} times by the calling thread's CPU time instead of the wall clock: per-core speed that a
 * busy machine barely moves (time the thread spends descheduled is not counted). It needs {@code -Dkiln.threads=1},
 * since other threads' CPU time (Kiln's pool, OpenBLAS's) would not be counted.
 *
 * <pre>
 * bench/gemm [--seconds 2] [--square-only | --skinny-only] [--shapes 64x64x64,32x128x784_tb,...] [--cpu-time]
 * </pre>
 */
public final class GemmBench {
    private GemmBench() {}

    /**
     * m, k, n, ta, tb. Per batch size: the first layer's forward and dW (and its dX, which training skips), then the
     * 10-column head's forward, dW, and dX twice: as dY·Wᵀ, and as {@code Dense} runs it, on a Wᵀ it lays out itself.
     */
    private static final int[][] SKINNY = {
        {32, 784, 128, 0, 0}, {784, 32, 128, 1, 0}, {32, 128, 784, 0, 1},
        {128, 784, 128, 0, 0}, {784, 128, 128, 1, 0}, {128, 128, 784, 0, 1},
        {32, 128, 10, 0, 0}, {128, 32, 10, 1, 0}, {32, 10, 128, 0, 1}, {32, 10, 128, 0, 0},
        {128, 128, 10, 0, 0}, {128, 128, 10, 1, 0}, {128, 10, 128, 0, 1}, {128, 10, 128, 0, 0},
    };
    private static final int[][] SQUARE = {{256, 256, 256, 0, 0}, {512, 512, 512, 0, 0}, {1024, 1024, 1024, 0, 0}, {2048, 2048, 2048, 0, 0}};

    /** Time by the calling thread's CPU time ({@code --cpu-time}) rather than the wall clock. */
    private static boolean cpuTime;
    private static final java.lang.management.ThreadMXBean THREAD = java.lang.management.ManagementFactory.getThreadMXBean();

    private static long now() {
        return cpuTime ? THREAD.getCurrentThreadCpuTime() : System.nanoTime();
    }

    public static void main(String[] args) {
        double seconds = 2;
        List<int[]> shapes = new ArrayList<>();
        boolean square = true, skinny = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> {
                    if (i + 1 == args.length || !args[i + 1].matches("\\d+(\\.\\d+)?")) usage("--seconds needs a number, e.g. 2");
                    seconds = Double.parseDouble(args[++i]);
                }
                case "--square-only" -> skinny = false;
                case "--skinny-only" -> square = false;
                case "--cpu-time" -> cpuTime = true;
                case "--shapes" -> {
                    if (i + 1 == args.length) usage("--shapes needs a value, e.g. 32x784x128,32x128x784_tb");
                    for (String s : args[++i].split(",")) {
                        try {
                            shapes.add(dev.kiln.bench.jmh.Work.shape(s));
                        } catch (IllegalArgumentException e) {
                            usage(e.getMessage());
                        }
                    }
                    square = skinny = false;
                }
                default -> usage("unknown argument '" + args[i] + "'");
            }
        }
        if (cpuTime && Parallel.THREADS != 1) {
            System.err.println("GemmBench: --cpu-time counts the calling thread only; run with -Dkiln.threads=1");
            System.exit(2);
        }
        if (skinny) shapes.addAll(Arrays.asList(SKINNY));
        if (square) shapes.addAll(Arrays.asList(SQUARE));
        OpenBlas blas = OpenBlas.system().orElse(null);
        System.out.println("INFO gemm threads=" + Parallel.THREADS + " clock=" + (cpuTime ? "thread_cpu" : "wall") + " jdk="
                + Runtime.version() + " load=" + loadAverage());
        System.out.println("INFO gemm openblas=" + (blas == null ? "absent (" + OpenBlas.systemSearch() + "; "
                + "apt install libopenblas0-pthread), Java kernel only" : blas));
        System.out.println("INFO gemm Gemm.gemm dispatch: " + Gemm.backendDetail());
        List<String> table = new ArrayList<>();
        for (int[] s : shapes) table.add(run(s, seconds, blas));
        System.out.println("INFO gemm load=" + loadAverage());
        System.out.println();
        System.out.println("| shape (op(A) M×K · op(B) K×N) | Java GFLOP/s | OpenBLAS GFLOP/s | Java/OpenBLAS |");
        System.out.println("|---|---:|---:|---:|");
        table.forEach(System.out::println);
    }

    private static void usage(String why) {
        System.err.println("GemmBench: " + why);
        System.err.println("usage: GemmBench [--seconds 2] [--square-only | --skinny-only] [--shapes MxKxN[_ta][_tb],...] [--cpu-time]");
        System.exit(2);
    }

    private static String run(int[] s, double seconds, OpenBlas blas) {
        int m = s[0], k = s[1], n = s[2];
        boolean ta = s[3] == 1, tb = s[4] == 1;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (i % 7) * 0.1f - 0.3f;
        for (int i = 0; i < b.length; i++) b[i] = (i % 5) * 0.1f - 0.2f;
        int lda = ta ? m : k, ldb = tb ? k : n;
        String name = String.format(Locale.ROOT, "gemm_%dx%dx%d%s%s", m, k, n, ta ? "_ta" : "", tb ? "_tb" : "");
        double flop = 2.0 * m * n * k;
        Runnable java = () -> Gemm.gemmJava(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, c, 0, n, false);
        Runnable open = blas == null ? null : () -> blas.sgemm(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, c, 0, n, false);
        int javaReps = warm(java, seconds), openReps = open == null ? 0 : warm(open, seconds);
        double[] gj = new double[7], go = new double[7];
        for (int t = 0; t < gj.length; t++) {
            gj[t] = pass(java, javaReps, flop);
            if (open != null) go[t] = pass(open, openReps, flop);
        }
        double j = report("java", name, gj, javaReps);
        String shape = String.format(Locale.ROOT, "%d×%d%s · %d×%d%s", ta ? k : m, ta ? m : k, ta ? "ᵀ" : "", tb ? n : k, tb ? k : n, tb ? "ᵀ" : "");
        if (open == null) return String.format(Locale.ROOT, "| %s | %.1f | – | – |", shape, j);
        double o = report("openblas", name, go, openReps);
        System.out.printf(Locale.ROOT, "RESULT ratio %s java_over_openblas=%.2f%n", name, j / o);
        return String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.2f |", shape, j, o, j / o);
    }

    /**
     * Warms {@code call} up (at least a second and 50 calls: C2 needs that long for the Vector API tile on a busy
     * machine) and returns the reps for one pass.
     */
    private static int warm(Runnable call, double seconds) {
        long t0 = System.nanoTime();
        int calls = 0;
        while (calls < 50 || System.nanoTime() - t0 < Math.max(1.0, seconds * 0.3) * 1e9) {
            call.run();
            calls++;
        }
        t0 = System.nanoTime();
        for (int w = 0; w < 5; w++) call.run();
        double once = Math.max(1e-7, (System.nanoTime() - t0) / 5e9);
        return (int) Math.max(1, Math.min(1_000_000, seconds / 7 / once));
    }

    private static double pass(Runnable call, int reps, double flop) {
        long start = now();
        for (int r = 0; r < reps; r++) call.run();
        return flop * reps / Math.max(1, now() - start);
    }

    private static double report(String who, String name, double[] g, int reps) {
        Arrays.sort(g);
        System.out.printf(Locale.ROOT, "RESULT %s %s gflops=%.1f%n", who, name, g[3]);
        System.out.printf(Locale.ROOT, "INFO %s %s min=%.1f max=%.1f reps=%d%n", who, name, g[0], g[6], reps);
        return g[3];
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "n/a";
        }
    }
}
