package dev.kiln.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.core.kernel.OpenBlas;
import dev.kiln.core.kernel.UnaryKind;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Keeps {@code bench/kernels} honest without timing anything: each benchmark method, called once the way JMH calls it,
 * computes what its scalar definition says (so a score is the speed of the real work, not of a broken or empty call);
 * the processor's benchmark list names every {@code @Benchmark} method (so the jar runs them all); and every element-wise
 * method has the byte count its GB/s figure is divided by.
 */
class KernelBenchmarksTest {
    /** Not a multiple of any vector length nor of the softmax row: the scalar tails run too. */
    private static final int N = 4096 + 13;

    private static ElementwiseBenchmark elementwise() {
        ElementwiseBenchmark b = new ElementwiseBenchmark();
        b.n = N;
        b.setup();
        return b;
    }

    static List<Object[]> unaryCases() {
        return List.of(
                new Object[] {"relu", (DoubleUnaryOperator) UnaryKind.RELU::apply, 0.0},
                new Object[] {"exp", (DoubleUnaryOperator) Math::exp, 2e-7},          // FastMath: a few ulp
                new Object[] {"sigmoid", (DoubleUnaryOperator) UnaryKind.SIGMOID::apply, 4e-7},
                new Object[] {"tanh", (DoubleUnaryOperator) Math::tanh, 4e-7},
                new Object[] {"expTensor", (DoubleUnaryOperator) Math::exp, 2e-7});   // FastMath, as exp
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unaryCases")
    void unaryBenchmarksComputeTheirDefinition(String method, DoubleUnaryOperator f, double relTolerance) throws Exception {
        ElementwiseBenchmark b = elementwise();
        ElementwiseBenchmark.class.getMethod(method).invoke(b);
        for (int i = 0; i < N; i++) {
            double want = f.applyAsDouble(b.x[i]);
            assertThat((double) b.out[i]).as("%s(x[%d] = %s)", method, i, b.x[i]).isCloseTo(want, within(relTolerance * Math.abs(want) + 1e-30));
        }
    }

    @Test
    void binaryCopyAndInPlaceBenchmarksComputeTheirDefinition() {
        ElementwiseBenchmark b = elementwise();
        b.copy();
        assertThat(b.out).containsExactly(b.x);
        b.add();
        for (int i = 0; i < N; i++) assertThat(b.out[i]).isEqualTo(b.x[i] + b.y[i]);
        b.mul();
        for (int i = 0; i < N; i++) assertThat(b.out[i]).isEqualTo(b.x[i] * b.y[i]);
        float[] before = b.out.clone();
        b.scale();
        for (int i = 0; i < N; i++) assertThat(b.out[i]).isEqualTo(-before[i]);
        before = b.out.clone();
        b.addInPlace();
        for (int i = 0; i < N; i++) assertThat(b.out[i]).isEqualTo(before[i] + b.x[i]);
        double sum = 0;
        for (float v : b.x) sum += v;
        assertThat((double) b.sum()).isCloseTo(sum, within(1e-5 * N * 4));   // float accumulation over N values in [-4, 4)
    }

    @Test
    void softmaxXentBenchmarkComputesProbabilitiesAndLosses() {
        ElementwiseBenchmark b = elementwise();
        b.softmaxXent();
        int c = ElementwiseBenchmark.CLASSES;
        for (int r = 0; r < N / c; r++) {
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int j = 0; j < c; j++) max = Math.max(max, b.x[r * c + j]);
            for (int j = 0; j < c; j++) z += Math.exp(b.x[r * c + j] - max);
            for (int j = 0; j < c; j++) assertThat((double) b.out[r * c + j]).isCloseTo(Math.exp(b.x[r * c + j] - max) / z, within(1e-6));
            assertThat((double) b.loss[r]).isCloseTo(Math.log(z) + max - b.x[r * c + b.labels[r]], within(1e-5));
        }
    }

    @Test
    void openBlasLevel1BenchmarksComputeTheirDefinition() {
        assumeTrue(OpenBlas.system().isPresent(), "no OpenBLAS here: " + OpenBlas.systemSearch());
        ElementwiseBenchmark b = elementwise();
        b.copy();
        b.openblasSaxpy();   // out = x - x
        for (int i = 0; i < N; i++) assertThat(b.out[i]).isZero();
        b.copy();
        b.openblasSscal();
        for (int i = 0; i < N; i++) assertThat(b.out[i]).isEqualTo(-b.x[i]);
    }

    @Test
    void adamBenchmarkTakesOneAdamStepWithTheFixedGradient() {
        AdamBenchmark b = new AdamBenchmark();
        b.n = N;
        b.setup();
        float[] p0 = b.parameter.rawFloats().clone();
        float[] g = b.parameter.grad().rawFloats();
        b.adam();
        // Step 1 with bias correction: m̂ = g, v̂ = g², so p -= lr·g / (|g| + ε).
        float[] p1 = b.parameter.rawFloats();
        for (int i = 0; i < N; i++) {
            double want = p0[i] - 1e-3 * g[i] / (Math.abs(g[i]) + 1e-7);
            assertThat((double) p1[i]).isCloseTo(want, within(1e-6));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"256x256x256", "32x784x128", "784x32x128_ta", "32x128x784_tb", "784x128x128_ta", "128x128x784_tb", "32x128x10"})
    void gemmBenchmarksComputeTheProduct(String shape) {
        GemmBenchmark b = new GemmBenchmark();
        b.shape = shape;
        b.setup();
        float[] java = b.java().clone();
        double[] want = new double[b.m * b.n];
        for (int i = 0; i < b.m; i++) {
            for (int j = 0; j < b.n; j++) {
                double acc = 0;
                for (int p = 0; p < b.k; p++) {
                    acc += (double) (b.ta ? b.a[p * b.lda + i] : b.a[i * b.lda + p]) * (b.tb ? b.b[j * b.ldb + p] : b.b[p * b.ldb + j]);
                }
                want[i * b.n + j] = acc;
            }
        }
        for (int i = 0; i < want.length; i++) assertThat((double) java[i]).isCloseTo(want[i], within(1e-4 * b.k));
        if (OpenBlas.system().isPresent()) {
            float[] blas = b.openblas();
            for (int i = 0; i < want.length; i++) assertThat((double) blas[i]).isCloseTo(want[i], within(1e-4 * b.k));
        }
    }

    @Test
    void everyGemmShapeParameterParses() throws Exception {
        String[] shapes = GemmBenchmark.class.getField("shape").getAnnotation(Param.class).value();
        for (String s : shapes) assertThat(Work.flops(s)).isPositive();
        assertThat(Work.flops("32x128x784_tb")).isEqualTo(2.0 * 32 * 128 * 784);
        assertThat(Work.describe("784x32x128_ta")).isEqualTo("32×784ᵀ · 32×128");
        assertThatThrownBy(() -> Work.shape("32x128")).hasMessageContaining("MxKxN");
    }

    @Test
    void everyElementwiseBenchmarkHasAByteCount() {
        for (Class<?> c : List.of(ElementwiseBenchmark.class, AdamBenchmark.class)) {
            for (String m : benchmarkMethods(c)) assertThat(Work.BYTES_PER_ELEMENT).as("bytes for %s", m).containsKey(m);
        }
        assertThat(Work.bytes("softmaxXent", 4096)).isEqualTo(8L * 4090);
    }

    @Test
    void jmhBenchmarkListNamesEveryBenchmarkMethod() throws IOException {
        String list;
        try (InputStream in = KernelBench.class.getResourceAsStream("/META-INF/BenchmarkList")) {
            assertThat(in).as("META-INF/BenchmarkList (written by jmh-generator-annprocess at compile time)").isNotNull();
            list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (Class<?> c : List.of(GemmBenchmark.class, ElementwiseBenchmark.class, AdamBenchmark.class)) {
            for (String m : benchmarkMethods(c)) {
                assertThat(list).contains(" " + c.getPackageName() + ".jmh_generated." + c.getSimpleName() + "_" + m + "_jmhTest ");
            }
        }
        assertThat(list).contains("--enable-native-access=ALL-UNNAMED").contains("jdk.incubator.vector");
    }

    @Test
    void forkedJvmsGetKilnsFlags() {
        assertThat(KernelBench.forkArgs()).containsSubsequence("--add-modules", "jdk.incubator.vector").contains("--enable-native-access=ALL-UNNAMED");
        assertThat(KernelBench.sizeLabel(16777216)).isEqualTo("16M floats");
        assertThat(KernelBench.sizeLabel(4096)).isEqualTo("4K floats");
    }

    private static List<String> benchmarkMethods(Class<?> c) {
        return Arrays.stream(c.getMethods()).filter(m -> m.isAnnotationPresent(Benchmark.class)).map(Method::getName).sorted().toList();
    }
}
