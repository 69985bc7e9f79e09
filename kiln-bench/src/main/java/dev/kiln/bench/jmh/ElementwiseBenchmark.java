package dev.kiln.bench.jmh;

import dev.kiln.core.kernel.BinaryKind;
import dev.kiln.core.kernel.Elementwise;
import dev.kiln.core.kernel.FastMath;
import dev.kiln.core.kernel.FusedKernels;
import dev.kiln.core.kernel.UnaryKind;
import java.util.SplittableRandom;
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
 * Calls per second of Kiln's element-wise kernels ({@link Elementwise}, {@link FastMath}, {@link FusedKernels}) over
 * {@code n} floats, beside {@code System.arraycopy} (the bandwidth the machine really gives a Java loop) and OpenBLAS's
 * {@code saxpy}/{@code sscal} (what a tuned native library reaches on the same traffic). {@link KernelBench} turns the
 * scores into GB/s with {@link Work#bytes}. Sizes: 4K floats (16 KB an array: L1/L2), 1M (4 MB: L3) and 16M
 * (64 MB: memory). These kernels run on the calling thread only, as the tensor ops call them.
 *
 * <p>Inputs are uniform in [-4, 4): both branches of ReLU and sigmoid, no denormals. The in-place benchmarks
 * ({@code addInPlace}, {@code scale}, {@code openblasSaxpy}, {@code openblasSscal}) keep their operand finite: x is fixed
 * and the scale factor is -1.
 *
 * <p>Not final, and its fields are not private: JMH generates subclasses of a {@code @State} class that set them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {KernelBench.ADD_VECTOR_MODULE, KernelBench.VECTOR_MODULE, KernelBench.NATIVE_ACCESS})
@Warmup(iterations = 2, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class ElementwiseBenchmark {
    /** Classes per softmax row: the Fashion-MNIST MLP's head, the shape this fused kernel is used on. */
    static final int CLASSES = 10;
    private static final float[] MINUS_ONE = {-1f};

    @Param({"4096", "1048576", "16777216"})
    public int n;

    float[] x, y, out, loss;
    int[] labels;
    BlasLevel1 blas;

    @Setup
    public void setup() {
        SplittableRandom rng = new SplittableRandom(42);
        x = new float[n];
        y = new float[n];
        out = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rng.nextDouble(-4, 4);
            y[i] = (float) rng.nextDouble(-4, 4);
        }
        int rows = n / CLASSES;
        labels = new int[rows];
        for (int r = 0; r < rows; r++) labels[r] = rng.nextInt(CLASSES);
        loss = new float[rows];
    }

    @Benchmark
    public float[] copy() {
        System.arraycopy(x, 0, out, 0, n);
        return out;
    }

    @Benchmark
    public float[] add() {
        Elementwise.binary(BinaryKind.ADD, x, 0, 1, y, 0, 1, out, 0, n);
        return out;
    }

    @Benchmark
    public float[] mul() {
        Elementwise.binary(BinaryKind.MUL, x, 0, 1, y, 0, 1, out, 0, n);
        return out;
    }

    @Benchmark
    public float[] relu() {
        Elementwise.unary(UnaryKind.RELU, x, 0, out, 0, n);
        return out;
    }

    @Benchmark
    public float sum() {
        return Elementwise.sum(x, 0, n);
    }

    /** out += x: a gradient accumulation. */
    @Benchmark
    public float[] addInPlace() {
        Elementwise.addInPlace(out, 0, x, 0, n);
        return out;
    }

    /** out *= -1 through the broadcast-operand path of {@link Elementwise#binary}. */
    @Benchmark
    public float[] scale() {
        Elementwise.binary(BinaryKind.MUL, out, 0, 1, MINUS_ONE, 0, 0, out, 0, n);
        return out;
    }

    /** {@link FastMath}'s vectorised exp (LSTM gates, attention). */
    @Benchmark
    public float[] exp() {
        FastMath.exp(x, 0, out, 0, n);
        return out;
    }

    @Benchmark
    public float[] sigmoid() {
        FastMath.sigmoid(x, 0, out, 0, n);
        return out;
    }

    @Benchmark
    public float[] tanh() {
        FastMath.tanh(x, 0, out, 0, n);
        return out;
    }

    /** {@code Tensor.exp()}'s kernel: FastMath's vector exp, split across the pool's threads from 128K elements. */
    @Benchmark
    public float[] expTensor() {
        Elementwise.unary(UnaryKind.EXP, x, 0, out, 0, n);
        return out;
    }

    /** Sparse softmax cross-entropy over n/10 rows of 10 logits (probabilities into out, one loss per row). */
    @Benchmark
    public float[] softmaxXent() {
        FusedKernels.softmaxXent(x, 0, n / CLASSES, CLASSES, labels, out, 0, loss, 0);
        return loss;
    }

    /** out += -1·x: the same traffic as {@link #addInPlace}. */
    @Benchmark
    public float[] openblasSaxpy() {
        blas().saxpy(n, -1f, x, out);
        return out;
    }

    /** out *= -1: the same traffic as {@link #scale}. */
    @Benchmark
    public float[] openblasSscal() {
        blas().sscal(n, -1f, out);
        return out;
    }

    /** Linked on first use, so the Java kernels' forks never load OpenBLAS (whose idle threads would share the cores). */
    private BlasLevel1 blas() {
        if (blas == null) {
            blas = BlasLevel1.system().orElseThrow(() -> new IllegalStateException(
                    "no OpenBLAS with cblas_saxpy/cblas_sscal (bench/kernels skips these benchmarks then)"));
        }
        return blas;
    }
}
