package dev.kiln.bench.jmh;

import dev.kiln.core.kernel.Gemm;
import dev.kiln.core.kernel.OpenBlas;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * sgemm calls per second of Kiln's pure-Java kernel ({@link Gemm#gemmJava}) and of OpenBLAS's {@code cblas_sgemm}
 * (through {@link OpenBlas}, the path {@code -Dkiln.blas=openblas} takes) on square shapes and on the skinny shapes of
 * MLP training (784-128-10 at batch 32 and 128: forward X·W, weight gradient Xᵀ·dY, input gradient dY·Wᵀ, the 10-column
 * head). {@link KernelBench} turns the scores into GFLOP/s with {@link Work#flops}. Both sides use {@code kiln.threads}
 * threads. The Java warm-up is longer than the element-wise one: C2 needs about a second of calls for the vector tile.
 *
 * <p>Not final, and its fields are not private: JMH generates subclasses of a {@code @State} class that set them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {KernelBench.ADD_VECTOR_MODULE, KernelBench.VECTOR_MODULE, KernelBench.NATIVE_ACCESS})
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class GemmBenchmark {
    /** op(A) M×K · op(B) K×N, see {@link Work#shape}; 2048x2048x2048 is left out of the default run (slow). */
    @Param({"256x256x256", "512x512x512", "1024x1024x1024",
            "32x784x128", "784x32x128_ta", "32x128x784_tb", "128x784x128", "784x128x128_ta", "128x128x784_tb", "32x128x10"})
    public String shape;

    int m, k, n, lda, ldb;
    boolean ta, tb;
    float[] a, b, c;
    OpenBlas blas;

    @Setup
    public void setup() {
        int[] s = Work.shape(shape);
        m = s[0];
        k = s[1];
        n = s[2];
        ta = s[3] == 1;
        tb = s[4] == 1;
        lda = ta ? m : k;
        ldb = tb ? k : n;
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (i % 7) * 0.1f - 0.3f;   // as bench/gemm: no denormals, no zeros to skip
        for (int i = 0; i < b.length; i++) b[i] = (i % 5) * 0.1f - 0.2f;
    }

    @Benchmark
    public float[] java() {
        Gemm.gemmJava(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, c, 0, n, false);
        return c;
    }

    @Benchmark
    public float[] openblas() {
        if (blas == null) {   // looked up here, not in setup, so the Java side's forks never load OpenBLAS
            blas = OpenBlas.system().orElseThrow(() -> new IllegalStateException(
                    "no OpenBLAS: " + OpenBlas.systemSearch() + " (bench/kernels skips this benchmark then)"));
        }
        blas.sgemm(ta, tb, m, n, k, a, 0, lda, b, 0, ldb, c, 0, n, false);
        return c;
    }
}
