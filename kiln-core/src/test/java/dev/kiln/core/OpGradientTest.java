package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Gradient checks of every primitive op and composite of {@link Tensor} against central finite differences
 * in double. One table: (name, function, input shapes, input domain); inputs come from a seeded Rng.
 */
class OpGradientTest {

    /** Where inputs are drawn: uniform in [lo, hi), redrawn while |v| < minAbs (keeps away from kinks and poles). */
    record Domain(double lo, double hi, double minAbs) {
        static final Domain ANY = new Domain(-2, 2, 0);
        static final Domain POSITIVE = new Domain(0.5, 2.5, 0);
        static final Domain AWAY_FROM_ZERO = new Domain(-2, 2, 0.2);
        static final Domain WIDE = new Domain(-8, 8, 0);

        double draw(Rng rng) {
            double v;
            do v = rng.uniform(lo, hi); while (Math.abs(v) < minAbs);
            return v;
        }
    }

    record Case(String name, Function<Tensor[], Tensor> fn, int[][] shapes, Domain[] domains) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(name).append(' ');
            for (int[] s : shapes) sb.append(Shape.str(s));
            return sb.toString();
        }
    }

    private static final List<Case> CASES = new ArrayList<>();

    private static void op(String name, Domain domain, Function<Tensor[], Tensor> fn, int[]... shapes) {
        Domain[] d = new Domain[shapes.length];
        Arrays.fill(d, domain);
        CASES.add(new Case(name, fn, shapes, d));
    }

    private static void op(String name, Domain[] domains, Function<Tensor[], Tensor> fn, int[]... shapes) {
        CASES.add(new Case(name, fn, shapes, domains));
    }

    private static int[] s(int... shape) {
        return shape;
    }

    private static Domain[] d(Domain... domains) {
        return domains;
    }

    private static final Domain ANY = Domain.ANY, POS = Domain.POSITIVE, AWAY = Domain.AWAY_FROM_ZERO;

    static {
        // ---- binary element-wise, with broadcasting
        op("add", ANY, x -> x[0].add(x[1]), s(3, 4), s(3, 4));
        op("add row broadcast", ANY, x -> x[0].add(x[1]), s(3, 4), s(4));
        op("add both broadcast", ANY, x -> x[0].add(x[1]), s(2, 1, 3), s(1, 4, 1));
        op("add rank-0 tensor", ANY, x -> x[0].add(x[1]), s(3, 4), s());
        op("add float", ANY, x -> x[0].add(2.5f), s(3, 4));
        op("add self", ANY, x -> x[0].add(x[0]), s(5));
        op("sub", ANY, x -> x[0].sub(x[1]), s(3, 4), s(3, 4));
        op("sub row broadcast", ANY, x -> x[0].sub(x[1]), s(3, 4), s(4));
        op("sub reversed broadcast", ANY, x -> x[0].sub(x[1]), s(4), s(3, 4));
        op("sub both broadcast", ANY, x -> x[0].sub(x[1]), s(2, 1, 3), s(1, 4, 1));
        op("sub float", ANY, x -> x[0].sub(1.5f), s(3, 4));
        op("mul", ANY, x -> x[0].mul(x[1]), s(3, 4), s(3, 4));
        op("mul both broadcast", ANY, x -> x[0].mul(x[1]), s(2, 1, 3), s(1, 4, 1));
        op("mul column broadcast", ANY, x -> x[0].mul(x[1]), s(3, 4), s(3, 1));
        op("mul rank-0 tensor", ANY, x -> x[1].mul(x[0]), s(3, 4), s());
        op("mul float", ANY, x -> x[0].mul(-3f), s(3, 4));
        op("div", d(ANY, AWAY), x -> x[0].div(x[1]), s(3, 4), s(3, 4));
        op("div row broadcast", d(ANY, AWAY), x -> x[0].div(x[1]), s(3, 4), s(4));
        op("div both broadcast", d(ANY, AWAY), x -> x[0].div(x[1]), s(2, 1, 3), s(1, 4, 1));
        op("div rank-0 by tensor", d(ANY, AWAY), x -> x[0].div(x[1]), s(), s(3, 4));
        op("div float", ANY, x -> x[0].div(2f), s(3, 4));
        op("pow", d(POS, ANY), x -> x[0].pow(x[1]), s(3, 4), s(3, 4));
        op("pow row broadcast", d(POS, ANY), x -> x[0].pow(x[1]), s(3, 4), s(4));
        op("pow both broadcast", d(POS, ANY), x -> x[0].pow(x[1]), s(2, 1, 3), s(1, 4, 1));
        op("pow float 3", ANY, x -> x[0].pow(3f), s(3, 4));
        op("pow float 0.5", POS, x -> x[0].pow(0.5f), s(3, 4));
        op("maximum", ANY, x -> x[0].maximum(x[1]), s(3, 4), s(3, 4));
        op("maximum broadcast", ANY, x -> x[0].maximum(x[1]), s(2, 1, 3), s(1, 4, 1));
        op("minimum", ANY, x -> x[0].minimum(x[1]), s(3, 4), s(3, 4));
        op("minimum broadcast", ANY, x -> x[0].minimum(x[1]), s(3, 4), s(4));

        // ---- unary element-wise
        op("neg", ANY, x -> x[0].neg(), s(3, 4));
        op("exp", ANY, x -> x[0].exp(), s(3, 4));
        op("log", POS, x -> x[0].log(), s(3, 4));
        op("sqrt", POS, x -> x[0].sqrt(), s(3, 4));
        op("abs", AWAY, x -> x[0].abs(), s(3, 4));
        op("relu", AWAY, x -> x[0].relu(), s(3, 4));
        op("sigmoid", Domain.WIDE, x -> x[0].sigmoid(), s(3, 4));
        op("tanh", ANY, x -> x[0].tanh(), s(3, 4));
        op("square", ANY, x -> x[0].square(), s(3, 4));
        op("unary on transposed view", POS, x -> x[0].transpose(0, 1).log(), s(3, 4));
        op("chain", new Domain(1.2, 3, 0), x -> x[0].log().mul(x[0]).sqrt().exp(), s(3, 4));

        // ---- where (cond fixed; it is not differentiated)
        Tensor cond = Tensor.of(new float[] {1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1}, 3, 4);
        Tensor condRow = Tensor.of(new float[] {0, 1, 1, 0}, 4);
        op("where", ANY, x -> Tensor.where(cond, x[0], x[1]), s(3, 4), s(3, 4));
        op("where broadcast", ANY, x -> Tensor.where(condRow, x[0], x[1]), s(3, 4), s());
        op("where broadcast a", ANY, x -> Tensor.where(cond, x[0], x[1]), s(4), s(3, 1));

        // ---- reductions
        op("sum all", ANY, x -> x[0].sum(), s(2, 3, 4));
        op("sum axis 0 keep", ANY, x -> x[0].sum(0, true), s(2, 3, 4));
        op("sum axis 1", ANY, x -> x[0].sum(1, false), s(2, 3, 4));
        op("sum axis -1", ANY, x -> x[0].sum(-1, false), s(2, 3, 4));
        op("sum axes 0,2 keep", ANY, x -> x[0].sum(new int[] {0, 2}, true), s(2, 3, 4));
        op("sum axes 0,2", ANY, x -> x[0].sum(new int[] {2, 0}, false), s(2, 3, 4));
        op("sum axes all", ANY, x -> x[0].sum(new int[] {0, 1, 2}, false), s(2, 3, 4));
        op("sum of transposed view", ANY, x -> x[0].transpose(0, 1).sum(1, false), s(3, 4));
        op("mean all", ANY, x -> x[0].mean(), s(2, 3, 4));
        op("mean axis 1 keep", ANY, x -> x[0].mean(1, true), s(2, 3, 4));
        op("mean axis -1", ANY, x -> x[0].mean(-1, false), s(2, 3, 4));
        op("mean axes 0,1", ANY, x -> x[0].mean(new int[] {0, 1}, false), s(2, 3, 4));
        op("mean axes 1,2 keep", ANY, x -> x[0].mean(new int[] {1, 2}, true), s(2, 3, 4));
        op("max all", ANY, x -> x[0].max(), s(2, 3, 4));
        op("max axis 0", ANY, x -> x[0].max(0, false), s(2, 3, 4));
        op("max axis 1 keep", ANY, x -> x[0].max(1, true), s(2, 3, 4));
        op("max axis -1", ANY, x -> x[0].max(-1, false), s(2, 3, 4));
        op("max of transposed view", ANY, x -> x[0].transpose(0, 1).max(1, true), s(3, 4));

        // ---- composites
        // ---- softmax: one op (Softmax) along the last axis, composed along the others
        op("softmax last axis", ANY, x -> x[0].softmax(-1), s(3, 5));
        op("softmax last axis rank 3, weighted", ANY, x -> x[0].softmax(2).mul(x[1]), s(2, 3, 4), s(2, 3, 4));
        op("softmax of a transposed view", ANY, x -> x[0].transpose(0, 1).softmax(-1).square(), s(4, 3));
        op("softmax wide row", ANY, x -> x[0].softmax(-1).mul(x[1]), s(2, 37), s(2, 37));
        op("softmax axis 0", ANY, x -> x[0].softmax(0), s(3, 5));
        op("softmax middle axis", ANY, x -> x[0].softmax(1), s(2, 3, 4));
        // ---- fused linear (Linear): x·W + b with and without ReLU, without bias, a transposed (non-contiguous) input
        op("linear affine", ANY, x -> Linear.affine(x[0], x[1], x[2]), s(3, 4), s(4, 5), s(5));
        op("linear affine relu", AWAY, x -> Linear.affineRelu(x[0], x[1], x[2]), s(3, 4), s(4, 17), s(17));
        op("linear affine no bias", ANY, x -> Linear.affine(x[0], x[1], null), s(2, 3), s(3, 4));
        op("linear relu transposed input", AWAY, x -> Linear.affineRelu(x[0].transpose(0, 1), x[1], x[2]).square(), s(4, 3), s(4, 5), s(5));
        // ---- fused losses (Losses): per row, weighted mean (weights not differentiated), rank 3, wide logits
        op("sparse softmax xent per row", ANY, x -> Losses.sparseSoftmaxCrossEntropy(x[0], new int[] {2, 0, 4}), s(3, 5));
        op("sparse softmax xent rank 3", ANY, x -> Losses.sparseSoftmaxCrossEntropy(x[0], new int[] {1, 0, 3, 2, 2, 0}), s(2, 3, 4));
        op("sparse softmax xent mean", Domain.WIDE, x -> Losses.sparseSoftmaxCrossEntropyMean(x[0], new int[] {2, 0, 4, 1}, null), s(4, 5));
        op("binary xent from logits, (B, F)", Domain.WIDE, x -> Losses.binaryCrossEntropyWithLogitsMean(x[0],
                Tensor.of(new double[] {1, 0, 0, 1, 1, 0, 0.25, 1}, 4, 2), null), s(4, 2));
        op("binary xent from logits, (B,) weighted", Domain.WIDE, x -> Losses.binaryCrossEntropyWithLogitsMean(x[0],
                Tensor.of(new double[] {1, 0, 1}, 3), Tensor.of(new double[] {0.5, 2, 1}, 3)), s(3));
        op("sparse softmax xent weighted mean", ANY, x -> Losses.sparseSoftmaxCrossEntropyMean(x[0], new int[] {2, 0, 4},
                Tensor.of(new double[] {0.5, 2.0, 1.25}, 3)), s(3, 17));
        op("logSoftmax last axis", ANY, x -> x[0].logSoftmax(-1), s(3, 5));
        op("logSoftmax axis 0", ANY, x -> x[0].logSoftmax(0), s(3, 5));
        op("mse", ANY, x -> x[0].sub(x[1]).square().mean(), s(4, 3), s(4, 3));
        op("linear + tanh", ANY, x -> x[0].matmul(x[1]).add(x[2]).tanh(), s(3, 4), s(4, 5), s(5));

        // ---- matmul
        op("matmul 2-D", ANY, x -> x[0].matmul(x[1]), s(3, 4), s(4, 5));
        op("matmul vector shapes", ANY, x -> x[0].matmul(x[1]), s(1, 4), s(4, 1));
        op("matmul outer", ANY, x -> x[0].matmul(x[1]), s(3, 1), s(1, 5));
        op("matmul batched 3-D", ANY, x -> x[0].matmul(x[1]), s(2, 3, 4), s(2, 4, 5));
        op("matmul broadcast batch (2,3,4)·(4,5)", ANY, x -> x[0].matmul(x[1]), s(2, 3, 4), s(4, 5));
        op("matmul broadcast batch (3,4)·(2,4,5)", ANY, x -> x[0].matmul(x[1]), s(3, 4), s(2, 4, 5));
        op("matmul broadcast both batches", ANY, x -> x[0].matmul(x[1]), s(2, 1, 3, 4), s(1, 3, 4, 2));
        op("matmul Aᵀ·B", ANY, x -> x[0].transpose(0, 1).matmul(x[1]), s(4, 3), s(4, 5));
        op("matmul A·Bᵀ", ANY, x -> x[0].matmul(x[1].transpose(0, 1)), s(3, 4), s(5, 4));
        op("matmul Aᵀ·Bᵀ", ANY, x -> x[0].transpose(0, 1).matmul(x[1].transpose(0, 1)), s(4, 3), s(5, 4));
        op("matmul batched transposed", ANY, x -> x[0].transpose(-1, -2).matmul(x[1].transpose(-1, -2)), s(2, 4, 3), s(2, 5, 4));
        op("matmul of sliced view", ANY, x -> x[0].slice(1, 1, 5).matmul(x[1].slice(0, 2, 6)), s(3, 6), s(7, 2));
        op("matmul of permuted batch", ANY, x -> x[0].permute(1, 0, 2).matmul(x[1]), s(3, 2, 4), s(2, 4, 5));
        op("matmul self", ANY, x -> x[0].matmul(x[0]), s(4, 4));
        op("matmul of expanded batch", ANY, x -> x[0].expand(2, 3, 4).matmul(x[1]), s(1, 3, 4), s(2, 4, 5));
        op("matmul of expanded rows", ANY, x -> x[0].expand(3, 4).matmul(x[1].expand(4, 2)), s(1, 4), s(4, 1));

        // ---- movement
        op("reshape", ANY, x -> x[0].reshape(2, 6), s(3, 4));
        op("reshape -1", ANY, x -> x[0].reshape(-1, 3, 2), s(3, 4));
        op("reshape of transposed view", ANY, x -> x[0].transpose(0, 1).reshape(12), s(3, 4));
        op("permute", ANY, x -> x[0].permute(2, 0, 1), s(2, 3, 4));
        op("transpose", ANY, x -> x[0].transpose(0, 2), s(2, 3, 4));
        op("transpose -1,-2", ANY, x -> x[0].transpose(-1, -2).mul(x[1]), s(3, 4), s(4, 3));
        op("slice axis 0", ANY, x -> x[0].slice(0, 1, 3), s(4, 3));
        op("slice axis 1", ANY, x -> x[0].slice(1, 1, 3), s(3, 4));
        op("slice of slice", ANY, x -> x[0].slice(1, 1, 4).slice(0, 1, 2), s(3, 5));
        op("expand column", ANY, x -> x[0].expand(3, 4), s(3, 1));
        op("expand leading", ANY, x -> x[0].expand(2, 3, 4), s(4));
        op("expand middle", ANY, x -> x[0].expand(2, 3, 4), s(1, 3, 1));
        op("concat axis 0", ANY, x -> Tensor.concat(0, x[0], x[1], x[2]), s(2, 3), s(1, 3), s(3, 3));
        op("concat axis 1", ANY, x -> Tensor.concat(1, x[0], x[1]), s(2, 2), s(2, 3));
        op("concat same tensor twice", ANY, x -> Tensor.concat(-1, x[0], x[0].exp()), s(2, 3));
        op("contiguous of permuted view", ANY, x -> x[0].permute(1, 0).contiguous(), s(3, 4));
        op("copy", ANY, x -> x[0].copy().mul(x[0]), s(3, 4));

        // ---- gather
        op("indexSelect axis 0 repeated", ANY, x -> x[0].indexSelect(0, new int[] {2, 0, 2, 1, 2}), s(3, 4));
        op("indexSelect axis 1", ANY, x -> x[0].indexSelect(1, new int[] {3, 3, 0}), s(3, 4));
        op("indexSelect of transposed view", ANY, x -> x[0].transpose(0, 1).indexSelect(0, new int[] {1, 1}), s(3, 4));
        op("gatherAlong last axis", ANY, x -> x[0].gatherAlong(-1, new int[] {1, 3, 0}), s(3, 4));
        op("gatherAlong axis 0", ANY, x -> x[0].gatherAlong(0, new int[] {2, 0, 0, 1}), s(3, 4));
        op("gatherAlong middle axis", ANY, x -> x[0].gatherAlong(1, new int[] {2, 0, 1, 1}), s(2, 3, 2));
        op("cross-entropy", ANY, x -> x[0].logSoftmax(-1).gatherAlong(-1, new int[] {4, 0, 2}).mean().neg(), s(3, 5));

        // ---- convolution, pooling, padding (channels-last)
        Conv.Spec conv = Conv.Spec.DEFAULT;
        op("conv2d valid + bias", ANY, x -> Conv.conv2d(x[0], x[1], x[2], conv), s(2, 5, 6, 3), s(3, 3, 3, 4), s(4));
        op("conv2d same stride 2", ANY, x -> Conv.conv2d(x[0], x[1], x[2], conv.withPadding(Conv.Padding.SAME).withStrides(2, 2)),
                s(2, 5, 5, 2), s(3, 3, 2, 3), s(3));
        op("conv2d dilation 2 no bias", ANY, x -> Conv.conv2d(x[0], x[1], null, conv.withDilation(2, 1)), s(1, 7, 6, 2), s(2, 3, 2, 2));
        op("conv2d depthwise", ANY, x -> Conv.conv2d(x[0], x[1], x[2], conv.withGroups(3).withPadding(Conv.Padding.SAME)),
                s(2, 5, 5, 3), s(3, 3, 1, 6), s(6));
        op("conv2d groups 2 stride (2, 1)", ANY, x -> Conv.conv2d(x[0], x[1], null, conv.withGroups(2).withStrides(2, 1)), s(1, 5, 4, 4), s(2, 2, 2, 4));
        op("conv2dReluMaxPool", ANY, x -> Conv.conv2dReluMaxPool(x[0], x[1], x[2], conv, 2, 2), s(2, 5, 6, 2), s(2, 2, 2, 3), s(3));
        op("conv2d fused relu", ANY, x -> Conv.conv2dRelu(x[0], x[1], x[2], conv), s(2, 4, 4, 2), s(2, 2, 2, 3), s(3));
        op("conv2d of permuted view", ANY, x -> Conv.conv2d(x[0].permute(0, 2, 1, 3), x[1], null, conv), s(1, 4, 5, 2), s(2, 2, 2, 2));
        op("conv2dTranspose valid stride 2", ANY, x -> Conv.conv2dTranspose(x[0], x[1], x[2], 2, 2, Conv.Padding.VALID),
                s(2, 3, 2, 3), s(3, 3, 2, 3), s(2));
        op("conv2dTranspose same stride (2, 1) no bias", ANY, x -> Conv.conv2dTranspose(x[0], x[1], null, 2, 1, Conv.Padding.SAME),
                s(1, 3, 3, 2), s(3, 2, 3, 2));
        op("maxPool2d 2x2", ANY, x -> Conv.maxPool2d(x[0], 2, 2, 2, 2, Conv.Padding.VALID), s(2, 4, 5, 3));
        op("maxPool2d 3x3 stride 2 same", ANY, x -> Conv.maxPool2d(x[0], 3, 3, 2, 2, Conv.Padding.SAME), s(1, 5, 6, 2));
        op("avgPool2d 2x2", ANY, x -> Conv.avgPool2d(x[0], 2, 2, 2, 2, Conv.Padding.VALID), s(2, 4, 4, 3));
        op("avgPool2d 2x2 stride 1 same", ANY, x -> Conv.avgPool2d(x[0], 2, 2, 1, 1, Conv.Padding.SAME), s(1, 3, 5, 2));
        op("zeroPad2d", ANY, x -> Conv.zeroPad2d(x[0], 1, 2, 0, 1).mul(Conv.zeroPad2d(x[0], 1, 2, 0, 1)), s(2, 3, 2, 2));
    }

    static Stream<Arguments> cases() {
        return CASES.stream().map(c -> Arguments.of(c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void analyticGradientMatchesFiniteDifferences(Case c) {
        Rng rng = new Rng(c.name().hashCode());
        Tensor[] inputs = new Tensor[c.shapes().length];
        for (int i = 0; i < inputs.length; i++) {
            double[] v = new double[Shape.size(c.shapes()[i])];
            for (int k = 0; k < v.length; k++) v[k] = c.domains()[i].draw(rng);
            inputs[i] = Tensor.of(v, c.shapes()[i]);
        }
        GradCheck.Result r = GradCheck.check(c.fn(), inputs);
        int expected = 0;
        for (Tensor t : inputs) expected += t.size();
        assertThat(r.elementsChecked()).isEqualTo(expected);
    }
}
