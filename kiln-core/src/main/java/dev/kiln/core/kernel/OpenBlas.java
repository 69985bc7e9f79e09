package dev.kiln.core.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The system's OpenBLAS {@code cblas_sgemm}, reached through {@code java.lang.foreign}: an optional second
 * backend for {@link Gemm} (chosen there by {@code -Dkiln.blas=auto|java|openblas}). Kiln never needs it; without
 * the library everything runs on the Java kernel.
 *
 * <p>Where it looks, in order: {@code -Dkiln.blas.library=/path} when set; then the names
 * {@code libopenblas.so.0} and {@code System.mapLibraryName("openblas")} through the dynamic loader's own
 * search (LD_LIBRARY_PATH, ld.so.cache); then the fixed paths Debian/Ubuntu, Fedora and Homebrew install to.
 *
 * <p>Operands go to native code as heap segments of the callers' {@code float[]}s through a
 * {@link Linker.Option#critical(boolean) critical} downcall: no copy in or out (on the MLP's skinny shapes the
 * copies cost as much as the product itself). The price: a critical call holds off safepoints, so a GC another
 * thread needs waits until the product returns (~0.1 s for 2048³ on two cores). Bounds are checked here before the
 * call, because native code would read or write past an array silently.
 *
 * <p>Threads: OpenBLAS's pool is sized to Kiln's ({@code kiln.threads}, {@link Parallel#THREADS}) once at load,
 * with {@code openblas_set_num_threads}; {@link Gemm} calls it from the caller's thread only, never from inside
 * its own pool, so the two pools never run at the same time.
 */
public final class OpenBlas {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
    /** Where distributions install the library when the loader's search path does not find it. */
    static final List<String> KNOWN_PATHS = List.of(
            "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
            "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
            "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
            "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
            "/usr/lib64/libopenblas.so.0",
            "/usr/lib64/libopenblasp.so.0",
            "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
            "/usr/local/opt/openblas/lib/libopenblas.dylib");
    static final String INSTALL_HINT = "install it (Debian/Ubuntu: apt install libopenblas0-pthread; Fedora: dnf install"
            + " openblas-pthreads; macOS: brew install openblas) or point -Dkiln.blas.library=/path/to/libopenblas.so at it";

    private final MethodHandle sgemm;
    private final String library;
    private final String config;
    private final int threads;

    private OpenBlas(MethodHandle sgemm, String library, String config, int threads) {
        this.sgemm = sgemm;
        this.library = library;
        this.config = config;
        this.threads = threads;
    }

    /** Where the library was found: a path, or the name the dynamic loader resolved. */
    public String library() {
        return library;
    }

    /** {@code openblas_get_config()}, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64"; "" if absent. */
    public String config() {
        return config;
    }

    /** The thread count set with {@code openblas_set_num_threads}, or -1 where the library lacks that function. */
    public int threads() {
        return threads;
    }

    /** The library found at the usual places (loaded once per JVM, as the dynamic loader does), or empty. */
    public static Optional<OpenBlas> system() {
        return Optional.ofNullable(Found.blas);
    }

    /** Where {@link #system()} looked and what it found or why it did not; for error messages and INFO lines. */
    public static String systemSearch() {
        return Found.log;
    }

    /** Holder: the search runs on first use, not when Kiln loads. */
    private static final class Found {
        static final String log;
        static final OpenBlas blas;

        static {
            StringBuilder sb = new StringBuilder();
            blas = find(System.getProperty("kiln.blas.library"), sb);
            log = sb.toString();
        }
    }

    /**
     * Looks for the library: only {@code explicitPath} when it is non-null, else the loader's names and
     * {@link #KNOWN_PATHS}. Appends one "tried …" clause per place to {@code log}; null when none worked.
     */
    static OpenBlas find(String explicitPath, StringBuilder log) {
        List<String> places = new ArrayList<>();
        if (explicitPath != null && !explicitPath.isBlank()) {
            places.add(explicitPath.strip());
        } else {
            places.add("libopenblas.so.0");
            places.add(System.mapLibraryName("openblas"));
            places.addAll(KNOWN_PATHS);
        }
        quietIdleThreads();
        for (String place : places) {
            boolean isPath = place.indexOf('/') >= 0;
            if (isPath && !Files.exists(Path.of(place))) {
                note(log, place + " (no such file)");
                continue;
            }
            try {
                SymbolLookup lib = isPath ? SymbolLookup.libraryLookup(Path.of(place), Arena.global())
                        : SymbolLookup.libraryLookup(place, Arena.global());
                Optional<MemorySegment> sym = lib.find("cblas_sgemm");
                if (sym.isEmpty()) {
                    note(log, place + " (loaded, but it has no cblas_sgemm)");
                    continue;
                }
                OpenBlas blas = link(lib, sym.get(), place);
                note(log, place + " (found: " + (blas.config.isEmpty() ? "cblas_sgemm" : blas.config) + ")");
                return blas;
            } catch (IllegalArgumentException e) {
                note(log, place + (isPath ? " (could not be loaded: " + e.getMessage() + ")" : " (not on the loader's search path)"));
            } catch (IllegalCallerException e) {
                // --illegal-native-access=deny without --enable-native-access: no place will work.
                note(log, place + " (native access is denied: run java with --enable-native-access=ALL-UNNAMED)");
                return null;
            }
        }
        return null;
    }

    /**
     * OpenBLAS's idle worker threads spin (sched_yield) for {@code 2^OPENBLAS_THREAD_TIMEOUT} cycles after each product
     * (2^28 by default, ~0.1 s) before they sleep: under Kiln, whose own pool runs the element-wise work between two
     * products, that spinning takes the cores from it (MLP training at batch 128: 1.8–3.9 s of extra system time over
     * 1,800 steps, and slower steps). So unless the user set it, the variable is set to its minimum, 4, before the
     * library loads (OpenBLAS reads it once, in its constructor); that is after the JVM started, through libc's
     * {@code setenv}, which is why it is done once, here, before any product runs. No effect where the library was
     * already loaded by someone else or the C library has no {@code setenv}.
     */
    private static void quietIdleThreads() {
        if (System.getenv("OPENBLAS_THREAD_TIMEOUT") != null) return;
        try {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> setenv = linker.defaultLookup().find("setenv");
            if (setenv.isEmpty()) return;
            MethodHandle h = linker.downcallHandle(setenv.get(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            try (Arena arena = Arena.ofConfined()) {
                int rc = (int) h.invokeExact(arena.allocateFrom("OPENBLAS_THREAD_TIMEOUT"), arena.allocateFrom("4"), 0);
                if (rc == 0) idleThreadsQuieted = true;
            }
        } catch (Throwable t) {
            // Native access denied or no such function: the search below reports the former; the latter only costs speed.
        }
    }

    /** Whether {@link #quietIdleThreads} set OPENBLAS_THREAD_TIMEOUT (for the description). */
    private static volatile boolean idleThreadsQuieted;

    private static void note(StringBuilder log, String s) {
        log.append(log.isEmpty() ? "tried " : "; ").append(s);
    }

    private static OpenBlas link(SymbolLookup lib, MemorySegment sgemmSymbol, String place) {
        Linker linker = Linker.nativeLinker();
        var i = ValueLayout.JAVA_INT;
        var f = ValueLayout.JAVA_FLOAT;
        var p = ValueLayout.ADDRESS;
        // cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc); critical(true) lets the
        // pointers be heap segments of float[]s. OpenBLAS never calls back into Java, which critical calls forbid.
        MethodHandle sgemm = linker.downcallHandle(sgemmSymbol,
                FunctionDescriptor.ofVoid(i, i, i, i, i, i, f, p, i, p, i, f, p, i), Linker.Option.critical(true));
        String config = lib.find("openblas_get_config").map(s -> {
            try {
                MemorySegment str = (MemorySegment) linker.downcallHandle(s, FunctionDescriptor.of(p)).invokeExact();
                return str.equals(MemorySegment.NULL) ? "" : str.reinterpret(512).getString(0).strip();
            } catch (Throwable t) {
                return "";
            }
        }).orElse("");
        int threads = lib.find("openblas_set_num_threads").map(s -> {
            try {
                // Once, here, from one thread: openblas_set_num_threads is not safe to call during a product.
                linker.downcallHandle(s, FunctionDescriptor.ofVoid(i)).invokeExact(Parallel.THREADS);
                return Parallel.THREADS;
            } catch (Throwable t) {
                return -1;
            }
        }).orElse(-1);
        return new OpenBlas(sgemm, place, config, threads);
    }

    /**
     * C = op(A)·op(B) (+ C when {@code accumulate}), row-major, with exactly {@link Gemm#gemm}'s arguments: op(A) is
     * M×K, A stored M×K (lda) or K×M when {@code ta}; op(B) is K×N, B stored K×N (ldb) or N×K when {@code tb}.
     * Leading dimensions must satisfy BLAS's rule (at least the stored row length, and at least 1), which
     * {@link #accepts} tells; {@link Gemm} sends anything else to the Java kernel.
     *
     * @throws IndexOutOfBoundsException when an operand does not fit its array (checked before native code runs)
     */
    public void sgemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                      float[] c, int co, int ldc, boolean accumulate) {
        if (m == 0 || n == 0) return;
        if (!accepts(ta, tb, m, n, k, lda, ldb, ldc)) {
            throw new IllegalArgumentException("leading dimensions lda=" + lda + " ldb=" + ldb + " ldc=" + ldc
                    + " are too small for a " + m + "x" + k + (ta ? "ᵀ" : "") + " · " + k + "x" + n + (tb ? "ᵀ" : "") + " product");
        }
        if (k > 0) {
            checkOperand(a, ao, ta ? k : m, ta ? m : k, lda, "A");
            checkOperand(b, bo, tb ? n : k, tb ? k : n, ldb, "B");
        }
        checkOperand(c, co, m, n, ldc, "C");
        try {
            sgemm.invokeExact(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, m, n, k, 1f,
                    MemorySegment.ofArray(a).asSlice(4L * ao), lda,
                    MemorySegment.ofArray(b).asSlice(4L * bo), ldb, accumulate ? 1f : 0f,
                    MemorySegment.ofArray(c).asSlice(4L * co), ldc);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }

    /** Whether the leading dimensions meet BLAS's row-major rules (cblas rejects the call otherwise, printing to stderr). */
    public static boolean accepts(boolean ta, boolean tb, int m, int n, int k, int lda, int ldb, int ldc) {
        return lda >= Math.max(1, ta ? m : k) && ldb >= Math.max(1, tb ? k : n) && ldc >= Math.max(1, n);
    }

    /** rows × cols with row stride ld starting at off must lie inside x. */
    private static void checkOperand(float[] x, int off, int rows, int cols, int ld, String name) {
        long last = off + (long) (rows - 1) * ld + cols;  // one past the last element read or written
        if (off < 0 || last > x.length) {
            throw new IndexOutOfBoundsException(name + ": " + rows + "x" + cols + " with row stride " + ld + " at offset "
                    + off + " needs " + last + " elements, the array has " + x.length);
        }
    }

    @Override
    public String toString() {
        String timeout = System.getenv("OPENBLAS_THREAD_TIMEOUT") != null ? ", OPENBLAS_THREAD_TIMEOUT="
                + System.getenv("OPENBLAS_THREAD_TIMEOUT") + " (environment)" : idleThreadsQuieted ? ", OPENBLAS_THREAD_TIMEOUT=4" : "";
        return "OpenBlas[" + library + (config.isEmpty() ? "" : ", " + config) + ", threads=" + threads + timeout + "]";
    }
}
