package dev.kiln.bench.jmh;

import dev.kiln.core.kernel.OpenBlas;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * OpenBLAS's {@code cblas_saxpy} and {@code cblas_sscal}, for the element-wise benchmarks' "what a tuned native library
 * reaches" line. Kiln itself never calls them, so they live here rather than in {@link OpenBlas}: this class links them
 * in the library {@link OpenBlas#system()} already found, with the same critical heap-segment downcalls (no copies).
 *
 * <p>Thread-safety: stateless after construction.
 */
final class BlasLevel1 {
    private final MethodHandle saxpy;
    private final MethodHandle sscal;

    private BlasLevel1(MethodHandle saxpy, MethodHandle sscal) {
        this.saxpy = saxpy;
        this.sscal = sscal;
    }

    /** The two functions from the system's OpenBLAS, or empty when there is no OpenBLAS or it lacks them. */
    static Optional<BlasLevel1> system() {
        return OpenBlas.system().flatMap(b -> link(b.library()));
    }

    private static Optional<BlasLevel1> link(String place) {
        // The loader hands back the already loaded library: this opens no second copy.
        SymbolLookup lib = place.indexOf('/') >= 0 ? SymbolLookup.libraryLookup(Path.of(place), Arena.global())
                : SymbolLookup.libraryLookup(place, Arena.global());
        Optional<MemorySegment> axpy = lib.find("cblas_saxpy"), scal = lib.find("cblas_sscal");
        if (axpy.isEmpty() || scal.isEmpty()) return Optional.empty();
        Linker linker = Linker.nativeLinker();
        var i = ValueLayout.JAVA_INT;
        var f = ValueLayout.JAVA_FLOAT;
        var p = ValueLayout.ADDRESS;
        // cblas_saxpy(n, alpha, x, incx, y, incy); cblas_sscal(n, alpha, x, incx)
        return Optional.of(new BlasLevel1(
                linker.downcallHandle(axpy.get(), FunctionDescriptor.ofVoid(i, f, p, i, p, i), Linker.Option.critical(true)),
                linker.downcallHandle(scal.get(), FunctionDescriptor.ofVoid(i, f, p, i), Linker.Option.critical(true))));
    }

    /** y[0..n) += a·x[0..n). */
    void saxpy(int n, float a, float[] x, float[] y) {
        check(n, x.length, "x");
        check(n, y.length, "y");
        try {
            saxpy.invokeExact(n, a, MemorySegment.ofArray(x), 1, MemorySegment.ofArray(y), 1);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_saxpy failed", t);
        }
    }

    /** x[0..n) *= a. */
    void sscal(int n, float a, float[] x) {
        check(n, x.length, "x");
        try {
            sscal.invokeExact(n, a, MemorySegment.ofArray(x), 1);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sscal failed", t);
        }
    }

    /** Native code would run past the array silently, so the length is checked here. */
    private static void check(int n, int length, String name) {
        if (n < 0 || n > length) throw new IndexOutOfBoundsException(name + ": " + n + " elements asked, the array has " + length);
    }
}
