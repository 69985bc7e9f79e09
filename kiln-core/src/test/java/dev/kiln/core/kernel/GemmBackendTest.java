package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code kiln.blas} choice: modes, the error for a missing library, the library search, and — in child JVMs —
 * that a missing library or a JVM started without {@code --enable-native-access} never breaks a product.
 * Runs with or without OpenBLAS installed.
 */
class GemmBackendTest {

    @Test
    void javaNeverLooksForTheLibrary() {
        Gemm.Choice c = Gemm.choose("java", true, () -> { throw new AssertionError("searched"); }, () -> "");
        assertThat(c.blas()).isNull();
        assertThat(c.error()).isNull();
        assertThat(c.description()).startsWith("java");
    }

    @Test
    void autoWithoutTheLibraryFallsBackToJavaAndSaysWhy() {
        Gemm.Choice c = Gemm.choose("auto", true, Optional::empty, () -> "tried /x/libopenblas.so.0 (no such file)");
        assertThat(c.blas()).isNull();
        assertThat(c.error()).isNull();
        assertThat(c.description()).startsWith("java").contains("/x/libopenblas.so.0 (no such file)");
    }

    @Test
    void openblasWithoutTheLibraryIsAClearError() {
        Gemm.Choice c = Gemm.choose(" OpenBLAS ", true, Optional::empty, () -> "tried /x/libopenblas.so.0 (no such file)");
        assertThat(c.blas()).isNull();
        assertThat(c.error()).contains("kiln.blas=openblas", "/x/libopenblas.so.0 (no such file)",
                "apt install libopenblas0-pthread", "-Dkiln.blas.library=", "-Dkiln.blas=auto");
    }

    @Test
    void autoWithoutNativeAccessStaysInJava() {
        Gemm.Choice c = Gemm.choose("auto", false, () -> { throw new AssertionError("searched"); }, () -> "");
        assertThat(c.blas()).isNull();
        assertThat(c.error()).isNull();
        assertThat(c.description()).startsWith("java").contains("--enable-native-access=ALL-UNNAMED");
    }

    @Test
    void anUnknownModeIsAnError() {
        assertThat(Gemm.choose("mkl", true, Optional::empty, () -> "").error()).contains("'mkl'", "auto, java, openblas");
    }

    @Test
    void theChoiceWithTheLibraryPresent() throws Exception {
        assumeTrue(OpenBlas.system().isPresent(), () -> "libopenblas is not installed here: " + OpenBlas.systemSearch());
        Gemm.Choice auto = Gemm.choose("auto", true, OpenBlas::system, OpenBlas::systemSearch);
        assertThat(auto.blas()).isNotNull();
        assertThat(auto.always()).isFalse();
        assertThat(auto.takes(false, false, 4, 4, 4, 4, 4, 4)).as("tiny products stay in Java").isFalse();
        assertThat(auto.takes(false, false, 512, 512, 512, 512, 512, 512)).isTrue();
        assertThat(auto.takes(false, false, 512, 512, 512, 511, 512, 512)).as("lda BLAS rejects").isFalse();
        java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(1);
        try {
            assertThat(pool.submit(() -> auto.takes(false, false, 512, 512, 512, 512, 512, 512)).get())
                    .as("inside a pool worker the Java kernel runs inline").isFalse();
        } finally {
            pool.shutdown();
        }
        Gemm.Choice always = Gemm.choose("openblas", true, OpenBlas::system, OpenBlas::systemSearch);
        assertThat(always.takes(false, false, 4, 4, 4, 4, 4, 4)).isTrue();
        assertThat(always.takes(false, false, 4, 4, 0, 4, 4, 4)).as("k = 0 is Java's (it zeroes C)").isFalse();
    }

    @Test
    void anExplicitPathIsTheOnlyPlaceSearched(@TempDir Path dir) throws IOException {
        StringBuilder log = new StringBuilder();
        assertThat(OpenBlas.find(dir.resolve("missing.so").toString(), log)).isNull();
        assertThat(log.toString()).isEqualTo("tried " + dir.resolve("missing.so") + " (no such file)");
        // (A file that is not a library is not tried here: HotSpot prints a stack-guard warning when dlopen fails on it.)
    }

    @Test
    void theDefaultSearchNamesTheLoaderAndTheKnownPaths() {
        StringBuilder log = new StringBuilder();
        OpenBlas found = OpenBlas.find(null, log);
        if (found == null) {
            assertThat(log.toString()).contains("libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0");
        } else {
            assertThat(log.toString()).contains("(found");
        }
    }

    // ---------------------------------------------------------------- child JVMs

    /** A child JVM's main: one product through Gemm.gemm checked against the Java kernel; prints the backend. */
    public static void main(String[] args) {
        int m = 300, n = 260, k = 257;
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n], expected = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (i % 7) * 0.25f - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = (i % 5) * 0.25f - 0.5f;
        Gemm.gemm(false, true, m, n, k, a, 0, k, b, 0, k, c, 0, n, false);
        Gemm.gemmJava(false, true, m, n, k, a, 0, k, b, 0, k, expected, 0, n, false);
        for (int p = 0; p < c.length; p++) {
            if (Math.abs(c[p] - expected[p]) > 1e-3f) throw new AssertionError("element " + p + ": " + c[p] + " vs " + expected[p]);
        }
        System.out.println("backend=" + Gemm.backend() + " ok");
    }

    private record Child(int exit, String out) {}

    private static Child child(String... jvmArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules=jdk.incubator.vector");
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-Xmx256m", "-cp", System.getProperty("java.class.path"), GemmBackendTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Child(p.exitValue(), out);
    }

    @Test
    void withoutNativeAccessTheProductStillRuns() throws Exception {
        // No --enable-native-access: auto stays in Java, without the JDK's restricted-method warning.
        Child auto = child("-Dkiln.blas=auto");
        assertThat(auto.exit()).as(auto.out()).isZero();
        assertThat(auto.out()).contains("backend=java ok").doesNotContain("WARNING: A restricted method");
        // Asking for OpenBLAS without the flag: the JDK warns on stderr, nothing more.
        if (OpenBlas.system().isPresent()) {
            Child forced = child("-Dkiln.blas=openblas");
            assertThat(forced.exit()).as(forced.out()).isZero();
            assertThat(forced.out()).contains("backend=openblas ok");
        }
        // Where native access is denied outright, asking for OpenBLAS is an error that says so.
        Child denied = child("--illegal-native-access=deny", "-Dkiln.blas=openblas");
        assertThat(denied.exit()).isNotZero();
        assertThat(denied.out()).contains("kiln.blas=openblas", "--enable-native-access=ALL-UNNAMED");
    }

    @Test
    void openblasThatIsMissingFailsWithTheReason() throws Exception {
        Child c = child("--enable-native-access=ALL-UNNAMED", "-Dkiln.blas=openblas", "-Dkiln.blas.library=/nonexistent/libopenblas.so.0");
        assertThat(c.exit()).isNotZero();
        assertThat(c.out()).contains("kiln.blas=openblas", "/nonexistent/libopenblas.so.0 (no such file)", "apt install libopenblas0-pthread");
    }

    @Test
    void theDefaultIsJavaAndAutoTakesOpenBlasWhereInstalled() throws Exception {
        Child byDefault = child("--enable-native-access=ALL-UNNAMED");
        assertThat(byDefault.exit()).as(byDefault.out()).isZero();
        assertThat(byDefault.out()).contains("backend=java ok");
        Child auto = child("--enable-native-access=ALL-UNNAMED", "-Dkiln.blas=auto");
        assertThat(auto.exit()).as(auto.out()).isZero();
        assertThat(auto.out()).contains("backend=" + (OpenBlas.system().isPresent() ? "openblas" : "java") + " ok");
    }

    @Test
    void javaModeRunsAnywhere() throws Exception {
        Child c = child("-Dkiln.blas=java", "-Dkiln.blas.library=/nonexistent/libopenblas.so.0");
        assertThat(c.exit()).as(c.out()).isZero();
        assertThat(c.out()).contains("backend=java ok").doesNotContain("WARNING: A restricted method");
    }
}
