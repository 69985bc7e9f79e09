package dev.kiln.bench.jmh;

import dev.kiln.core.kernel.OpenBlas;
import dev.kiln.core.kernel.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code bench/kernels}: runs the JMH kernel benchmarks ({@link GemmBenchmark}, {@link ElementwiseBenchmark},
 * {@link AdamBenchmark}) and prints their scores as markdown tables — GEMM in GFLOP/s with the Java/OpenBLAS ratio,
 * element-wise kernels in GB/s (bytes read + written, {@link Work#BYTES_PER_ELEMENT}) beside the copy baseline.
 *
 * <p>A main around JMH's {@link Runner} rather than {@code org.openjdk.jmh.Main} for three things JMH's own command line
 * does not do: the forked JVMs get Kiln's flags and the caller's {@code -Dkiln.*} properties; the OpenBLAS benchmarks are
 * left out, with a note, where there is no OpenBLAS (JMH would report them as failures); and the conversion to
 * GFLOP/s and GB/s. The warm-up and measurement times are the benchmark classes' annotations unless {@code --quick}.
 *
 * <pre>
 * KernelBench [all | gemm | elementwise] [--regex JMH_REGEX] [--quick] [-p name=v1,v2] [--json FILE]
 *             [--iterations N] [--iteration-ms MS]
 * </pre>
 * {@code --iterations}/{@code --iteration-ms} lengthen the measurement (default 3 × 500 ms) for steadier figures on a
 * busy machine, e.g. {@code gemm --iterations 7 --iteration-ms 2000}.
 */
public final class KernelBench {
    // The flags every forked JVM needs, as constants so the benchmark classes' @Fork annotations can name them too.
    static final String ADD_VECTOR_MODULE = "--add-modules";
    static final String VECTOR_MODULE = "jdk.incubator.vector";
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

    private static final String PKG = "dev\\.kiln\\.bench\\.jmh\\.";
    private static final Map<String, String> GROUPS = Map.of(
            "all", PKG + "(GemmBenchmark|ElementwiseBenchmark|AdamBenchmark)\\.",
            "gemm", PKG + "GemmBenchmark\\.",
            "elementwise", PKG + "(ElementwiseBenchmark|AdamBenchmark)\\.");
    private static final String USAGE = "usage: KernelBench [all | gemm | elementwise] [--regex JMH_REGEX] [--quick] [-p name=v1,v2]"
            + " [--json FILE] [--iterations N] [--iteration-ms MS]";

    /** Element-wise rows in print order, with what each measures. */
    private static final Map<String, String> KERNELS = new LinkedHashMap<>();

    static {
        KERNELS.put("copy", "`System.arraycopy` (bandwidth baseline)");
        KERNELS.put("add", "`Elementwise.binary` ADD, out = a + b");
        KERNELS.put("mul", "`Elementwise.binary` MUL, out = a · b");
        KERNELS.put("addInPlace", "`Elementwise.addInPlace`, y += x");
        KERNELS.put("scale", "`Elementwise.binary` MUL by a broadcast scalar, in place");
        KERNELS.put("relu", "`Elementwise.unary` RELU");
        KERNELS.put("sum", "`Elementwise.sum` (reduction)");
        KERNELS.put("exp", "`FastMath.exp` (vector)");
        KERNELS.put("sigmoid", "`FastMath.sigmoid` (vector)");
        KERNELS.put("tanh", "`FastMath.tanh` (vector)");
        KERNELS.put("expTensor", "`Elementwise.unary` EXP (`Tensor.exp()`)");
        KERNELS.put("softmaxXent", "`FusedKernels.softmaxXent`, rows of 10");
        KERNELS.put("adam", "`Adam.step`, one parameter (pool threads)");
        KERNELS.put("openblasSaxpy", "OpenBLAS `cblas_saxpy`, y += a·x");
        KERNELS.put("openblasSscal", "OpenBLAS `cblas_sscal`, x *= a");
    }

    private KernelBench() {}

    public static void main(String[] args) throws RunnerException {
        String regex = GROUPS.get("all");
        boolean quick = false;
        String json = null;
        int iterations = 0, iterationMs = 0;
        Map<String, String[]> params = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (GROUPS.containsKey(a)) {
                regex = GROUPS.get(a);
            } else if (a.equals("--quick")) {
                quick = true;
            } else if (List.of("--regex", "--json", "-p", "--iterations", "--iteration-ms").contains(a)) {
                if (i + 1 == args.length) usage(a + " needs a value");
                String v = args[++i];
                switch (a) {
                    case "--regex" -> regex = v;
                    case "--json" -> json = v;
                    case "--iterations" -> iterations = positive(a, v);
                    case "--iteration-ms" -> iterationMs = positive(a, v);
                    default -> {
                        int eq = v.indexOf('=');
                        if (eq <= 0) usage("-p wants name=v1,v2, got '" + v + "'");
                        String[] values = v.substring(eq + 1).split(",");
                        if (v.substring(0, eq).equals("shape")) {
                            // Checked here: a bad shape would otherwise surface as a stack trace from a forked JVM.
                            for (String shape : values) {
                                try {
                                    Work.shape(shape);
                                } catch (IllegalArgumentException e) {
                                    usage(e.getMessage());
                                }
                            }
                        }
                        params.put(v.substring(0, eq), values);
                    }
                }
            } else {
                usage("unknown argument '" + a + "'");
            }
        }

        // jvmArgs replaces the inherited host flags; the empty jvmArgsAppend stands in for the @Fork annotations' copy of
        // the Kiln flags (there for org.openjdk.jmh.Main), which would otherwise be appended a second time.
        ChainedOptionsBuilder options = new OptionsBuilder().include(regex).jvmArgs(forkArgs().toArray(String[]::new))
                .jvmArgsAppend().shouldFailOnError(true);
        boolean blas = OpenBlas.system().isPresent();
        System.out.println("INFO kernels date=" + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                + " load=" + loadAverage() + " cpus=" + Runtime.getRuntime().availableProcessors()
                + " kiln.threads=" + Parallel.THREADS + " jdk=" + Runtime.version());
        System.out.println("INFO kernels openblas=" + (blas ? OpenBlas.system().get()
                : "absent: the OpenBLAS benchmarks are skipped (" + OpenBlas.systemSearch() + "; apt install libopenblas0-pthread)"));
        if (!blas) options.exclude("\\.openblas");
        if (quick) {
            // A smoke run: every benchmark of the group once, briefly, at the smallest sizes; the figures mean little.
            options.warmupIterations(1).warmupTime(TimeValue.milliseconds(100))
                    .measurementIterations(1).measurementTime(TimeValue.milliseconds(200))
                    .param("n", "4096").param("shape", "256x256x256", "32x784x128", "32x128x10");
        }
        if (iterations > 0) options.measurementIterations(iterations);
        if (iterationMs > 0) options.measurementTime(TimeValue.milliseconds(iterationMs));
        params.forEach(options::param);
        if (json != null) options.result(json).resultFormat(ResultFormatType.JSON);

        Collection<RunResult> results = new Runner(options.build()).run();
        System.out.println();
        System.out.println("INFO kernels load=" + loadAverage() + " (after)");
        System.out.println();
        report(results).forEach(System.out::println);
    }

    private static int positive(String flag, String value) {
        try {
            int v = Integer.parseInt(value);
            if (v > 0) return v;
        } catch (NumberFormatException e) {
            // reported below
        }
        usage(flag + " wants a positive whole number, got '" + value + "'");
        return 0;
    }

    private static void usage(String why) {
        System.err.println("KernelBench: " + why);
        System.err.println(USAGE);
        System.exit(2);
    }

    /** Kiln's JVM flags plus the caller's -Dkiln.* properties (kiln.threads, kiln.blas.library) for every fork. */
    static List<String> forkArgs() {
        List<String> args = new ArrayList<>(List.of(ADD_VECTOR_MODULE, VECTOR_MODULE, NATIVE_ACCESS, "-XX:+UseParallelGC", "-Xmx3g"));
        for (String name : new TreeSet<>(System.getProperties().stringPropertyNames())) {
            if (name.startsWith("kiln.")) args.add("-D" + name + "=" + System.getProperty(name));
        }
        return args;
    }

    /** Markdown tables of the results: GEMM GFLOP/s (Java, OpenBLAS, ratio) and element-wise GB/s by size. */
    static List<String> report(Collection<RunResult> results) {
        Map<String, Map<String, Double>> gemm = new LinkedHashMap<>();        // shape → side → calls/s
        Map<String, Map<Integer, Double>> elementwise = new LinkedHashMap<>();  // method → n → calls/s
        TreeSet<Integer> sizes = new TreeSet<>();
        for (RunResult r : results) {
            String bench = r.getParams().getBenchmark();
            String method = bench.substring(bench.lastIndexOf('.') + 1);
            double callsPerSecond = r.getPrimaryResult().getScore();
            if (bench.contains(".GemmBenchmark.")) {
                gemm.computeIfAbsent(r.getParams().getParam("shape"), s -> new LinkedHashMap<>()).put(method, callsPerSecond);
            } else {
                int n = Integer.parseInt(r.getParams().getParam("n"));
                sizes.add(n);
                elementwise.computeIfAbsent(method, s -> new LinkedHashMap<>()).put(n, callsPerSecond);
            }
        }
        List<String> out = new ArrayList<>();
        if (!gemm.isEmpty()) out.addAll(gemmTable(gemm));
        if (!elementwise.isEmpty()) {
            if (!out.isEmpty()) out.add("");
            out.addAll(elementwiseTable(elementwise, sizes));
        }
        return out;
    }

    static List<String> gemmTable(Map<String, Map<String, Double>> gemm) {
        List<String> out = new ArrayList<>();
        out.add("| shape (op(A) M×K · op(B) K×N) | Java GFLOP/s | OpenBLAS GFLOP/s | Java/OpenBLAS |");
        out.add("|---|---:|---:|---:|");
        gemm.forEach((shape, sides) -> {
            double flop = Work.flops(shape);
            Double java = sides.get("java"), blas = sides.get("openblas");
            out.add(String.format(Locale.ROOT, "| %s | %s | %s | %s |", Work.describe(shape),
                    java == null ? "–" : fmt(java * flop / 1e9), blas == null ? "–" : fmt(blas * flop / 1e9),
                    java == null || blas == null ? "–" : String.format(Locale.ROOT, "%.2f", java / blas)));
        });
        return out;
    }

    static List<String> elementwiseTable(Map<String, Map<Integer, Double>> elementwise, TreeSet<Integer> sizes) {
        List<String> out = new ArrayList<>();
        StringBuilder head = new StringBuilder("| kernel | bytes/elem |"), rule = new StringBuilder("|---|---:|");
        for (int n : sizes) {
            head.append(" GB/s at ").append(sizeLabel(n)).append(" |");
            rule.append("---:|");
        }
        out.add(head.toString());
        out.add(rule.toString());
        List<String> order = new ArrayList<>(KERNELS.keySet());
        elementwise.keySet().stream().filter(m -> !KERNELS.containsKey(m)).forEach(order::add);   // a new benchmark not yet named
        for (String method : order) {
            Map<Integer, Double> bySize = elementwise.get(method);
            if (bySize == null) continue;
            StringBuilder row = new StringBuilder("| " + KERNELS.getOrDefault(method, method) + " | "
                    + Work.BYTES_PER_ELEMENT.getOrDefault(method, 0) + " |");
            for (int n : sizes) {
                Double calls = bySize.get(n);
                row.append(' ').append(calls == null ? "–" : fmt(calls * Work.bytes(method, n) / 1e9)).append(" |");
            }
            out.add(row.toString());
        }
        return out;
    }

    /** 4096 → "4K floats", 1048576 → "1M floats". */
    static String sizeLabel(int n) {
        if (n % (1 << 20) == 0) return (n >> 20) + "M floats";
        if (n % (1 << 10) == 0) return (n >> 10) + "K floats";
        return n + " floats";
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
