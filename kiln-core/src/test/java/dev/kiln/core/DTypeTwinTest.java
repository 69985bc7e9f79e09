package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The float32 op path (Vector API kernels, blocked gemm) against the float64 path (scalar reference
 * kernels) through the public Tensor API: same outputs and same gradients to about 1e-5 of the magnitude.
 * Shapes are long enough to reach the vector loops and their tails.
 */
class DTypeTwinTest {

    record Case(String name, double lo, double hi, Function<Tensor[], Tensor> fn, int[]... shapes) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        Tensor cond = Tensor.of(new float[] {1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0}, 19);
        return Stream.of(
                new Case("exp", -3, 3, x -> x[0].exp(), new int[] {3, 37}),
                new Case("log", 0.1, 5, x -> x[0].log(), new int[] {3, 37}),
                new Case("sqrt", 0.1, 5, x -> x[0].sqrt(), new int[] {3, 37}),
                new Case("tanh", -4, 4, x -> x[0].tanh(), new int[] {3, 37}),
                new Case("sigmoid", -9, 9, x -> x[0].sigmoid(), new int[] {3, 37}),
                new Case("relu·abs·neg", -2, 2, x -> x[0].relu().add(x[0].abs()).neg(), new int[] {3, 37}),
                new Case("add broadcast", -2, 2, x -> x[0].add(x[1]), new int[] {5, 1, 19}, new int[] {3, 1}),
                new Case("mul/div broadcast", 0.5, 2, x -> x[0].mul(x[1]).div(x[2]), new int[] {4, 19}, new int[] {19}, new int[] {4, 1}),
                new Case("pow", 0.5, 2, x -> x[0].pow(x[1]), new int[] {2, 19}, new int[] {19}),
                new Case("maximum/minimum", -2, 2, x -> x[0].maximum(x[1]).sub(x[0].minimum(x[1].mul(0.5f))), new int[] {3, 19}, new int[] {3, 19}),
                new Case("where", -2, 2, x -> Tensor.where(cond, x[0], x[1]), new int[] {2, 19}, new int[] {2, 1}),
                new Case("ops on transposed views", -2, 2, x -> x[0].transpose(0, 1).mul(x[1]).exp(), new int[] {19, 6}, new int[] {6, 19}),
                new Case("sum axes", -2, 2, x -> x[0].sum(1, false).add(x[0].sum(new int[] {0, 2}, true).sum()), new int[] {3, 5, 21}),
                new Case("max axes", -2, 2, x -> x[0].max(2, false).add(x[0].max(0, true).mean()), new int[] {3, 5, 21}),
                new Case("reductions of transposed view", -2, 2, x -> x[0].transpose(0, 1).sum(1, true).add(x[0].transpose(0, 1).max(0, true)),
                        new int[] {19, 6}),
                new Case("softmax", -5, 5, x -> x[0].softmax(-1), new int[] {4, 33}),
                new Case("logSoftmax axis 0", -5, 5, x -> x[0].logSoftmax(0), new int[] {33, 4}),
                new Case("matmul", -1, 1, x -> x[0].matmul(x[1]), new int[] {9, 33}, new int[] {33, 17}),
                new Case("matmul batched broadcast", -1, 1, x -> x[0].matmul(x[1]), new int[] {2, 7, 20}, new int[] {20, 18}),
                new Case("matmul transposed views", -1, 1, x -> x[0].transpose(-1, -2).matmul(x[1].transpose(-1, -2)), new int[] {2, 20, 7}, new int[] {2, 18, 20}),
                new Case("linear + softmax", -1, 1, x -> x[0].matmul(x[1]).add(x[2]).softmax(-1), new int[] {5, 40}, new int[] {40, 10}, new int[] {10}),
                new Case("conv2d relu + maxPool (fused float32 backward)", -1, 1, x -> Conv.maxPool2d(Conv.conv2dRelu(x[0], x[1], x[2], Conv.Spec.DEFAULT),
                        2, 2, 2, 2, Conv.Padding.VALID), new int[] {3, 9, 8, 5}, new int[] {3, 3, 5, 32}, new int[] {32}),
                new Case("conv2dReluMaxPool fused (float32) vs composed (float64)", -1, 1, x -> Conv.conv2dReluMaxPool(x[0], x[1], x[2],
                        Conv.Spec.DEFAULT, 2, 2), new int[] {3, 11, 10, 2}, new int[] {3, 3, 2, 24}, new int[] {24}),
                new Case("conv2dReluMaxPool 3x3 over 17 channels", -1, 1, x -> Conv.conv2dReluMaxPool(x[0], x[1], x[2],
                        Conv.Spec.DEFAULT.withPadding(Conv.Padding.SAME), 3, 3), new int[] {2, 8, 7, 17}, new int[] {3, 3, 17, 20}, new int[] {20}),
                new Case("conv2d bias, same, stride 2", -1, 1, x -> Conv.conv2d(x[0], x[1], x[2], Conv.Spec.DEFAULT.withPadding(Conv.Padding.SAME)
                        .withStrides(2, 2)), new int[] {2, 7, 6, 17}, new int[] {3, 3, 17, 20}, new int[] {20}),
                new Case("movement", -1, 1, x -> Tensor.concat(1, x[0].slice(1, 1, 3), x[0].transpose(0, 1).reshape(6, -1).slice(1, 0, 2))
                        .indexSelect(1, new int[] {0, 2, 2}).gatherAlong(1, new int[] {0, 1, 2, 2, 1, 0}), new int[] {6, 3}))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void float32PathMatchesFloat64Path(Case c) {
        Rng rng = new Rng(c.name().hashCode());
        Tensor[] x32 = new Tensor[c.shapes().length], x64 = new Tensor[c.shapes().length];
        for (int i = 0; i < x32.length; i++) {
            x32[i] = Tensor.uniform(rng, (float) c.lo(), (float) c.hi(), c.shapes()[i]).requiresGrad(true);
            x64[i] = x32[i].to(DType.FLOAT64).requiresGrad(true);
        }
        Tensor y32 = c.fn().apply(x32), y64 = c.fn().apply(x64);
        assertThat(y32.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(y64.dtype()).isEqualTo(DType.FLOAT64);
        assertClose("output", y32, y64);

        Tensor w = Tensor.uniform(rng, -1, 1, y32.shape());
        y32.mul(w).sum().backward();
        y64.mul(w.to(DType.FLOAT64)).sum().backward();
        for (int i = 0; i < x32.length; i++) {
            assertThat(x32[i].grad().dtype()).isEqualTo(DType.FLOAT32);
            assertClose("gradient of input " + i, x32[i].grad(), x64[i].grad());
        }
    }

    static void assertClose(String what, Tensor f32, Tensor f64) {
        assertThat(f32.shape()).as(what + " shape").containsExactly(f64.shape());
        float[] a = f32.toFloatArray();
        double[] b = f64.toDoubleArray();
        double scale = 1;
        for (double v : b) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < a.length; i++) {
            assertThat((double) a[i]).as("%s element %d", what, i).isCloseTo(b[i], org.assertj.core.data.Offset.offset(1e-5 * scale));
        }
    }
}
