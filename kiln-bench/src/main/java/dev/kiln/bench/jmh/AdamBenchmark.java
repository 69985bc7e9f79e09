package dev.kiln.bench.jmh;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.nn.optimizers.Adam;
import java.util.List;
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
 * {@link Adam}'s update over one parameter of {@code n} floats, through the public {@code Optimizer.step} a training
 * loop calls (its per-call overhead is a map lookup; the update reads p, g, m, v and writes p, m, v). Unlike the
 * {@link ElementwiseBenchmark} kernels it splits large parameters across Kiln's pool ({@code kiln.threads}).
 * The gradient is set once, by a backward pass of sum(p·g), and stays: each call is one more step with it.
 *
 * <p>Not final, and its fields are not private: JMH generates subclasses of a {@code @State} class that set them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {KernelBench.ADD_VECTOR_MODULE, KernelBench.VECTOR_MODULE, KernelBench.NATIVE_ACCESS})
@Warmup(iterations = 2, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class AdamBenchmark {
    @Param({"4096", "1048576", "16777216"})
    public int n;

    Tensor parameter;
    List<Tensor> parameters;
    Adam adam;

    @Setup
    public void setup() {
        Rng rng = new Rng(42);
        parameter = Tensor.uniform(rng, -1f, 1f, n).requiresGrad(true);
        Tensor g = Tensor.uniform(rng, -1f, 1f, n);
        parameter.mul(g).sum().backward();   // d sum(p·g) / dp = g
        parameters = List.of(parameter);
        adam = new Adam(1e-3);
    }

    @Benchmark
    public double adam() {
        return adam.step(parameters);
    }
}
