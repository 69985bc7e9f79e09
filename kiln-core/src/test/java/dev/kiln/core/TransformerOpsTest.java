package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused transformer ops ({@link Attention}, {@link LayerNorm}, {@link Gelu}): gradient checks in double, and
 * in float agreement with the same maths composed from primitives, which is what they replace.
 */
class TransformerOpsTest {
    private static final Tensor PAD = Tensor.of(new double[] {1, 1, 1, 1, 1, 1, 0, 0}, 2, 4);
    /** The second sequence is padded at the front: with a causal mask its first query sees no key. */
    private static final Tensor FRONT_PAD = Tensor.of(new double[] {1, 1, 1, 1, 0, 1, 1, 0}, 2, 4);

    static Stream<Arguments> gradientCases() {
        return Stream.of(
                Arguments.of("gelu", (Function<Tensor[], Tensor>) x -> Gelu.apply(x[0]), new int[][] {{3, 7}}),
                Arguments.of("gelu of a permuted view", (Function<Tensor[], Tensor>) x -> Gelu.apply(x[0].transpose(0, 1)), new int[][] {{4, 5}}),
                Arguments.of("layer norm", (Function<Tensor[], Tensor>) x -> LayerNorm.apply(x[0], x[1], x[2], 1e-5),
                        new int[][] {{2, 3, 5}, {5}, {5}}),
                Arguments.of("attention", (Function<Tensor[], Tensor>) x -> Attention.apply(x[0], x[1], x[2], 2, false, null).output(),
                        new int[][] {{2, 3, 6}, {2, 4, 6}, {2, 4, 6}}),
                Arguments.of("attention causal", (Function<Tensor[], Tensor>) x -> Attention.apply(x[0], x[1], x[2], 2, true, null).output(),
                        new int[][] {{2, 4, 4}, {2, 4, 4}, {2, 4, 4}}),
                Arguments.of("attention causal after a cache", (Function<Tensor[], Tensor>) x -> Attention.apply(x[0], x[1], x[2], 1, true, null).output(),
                        new int[][] {{1, 2, 3}, {1, 5, 3}, {1, 5, 3}}),
                Arguments.of("attention padding mask", (Function<Tensor[], Tensor>) x -> Attention.apply(x[0], x[1], x[2], 2, false, PAD).output(),
                        new int[][] {{2, 4, 4}, {2, 4, 4}, {2, 4, 4}}),
                Arguments.of("attention causal, a query with no key", (Function<Tensor[], Tensor>) x -> Attention.apply(x[0], x[1], x[2], 2, true, FRONT_PAD).output(),
                        new int[][] {{2, 4, 4}, {2, 4, 4}, {2, 4, 4}}),
                Arguments.of("attention packed, causal", (Function<Tensor[], Tensor>) x -> Attention.applyPacked(x[0], 2, true, null).output(),
                        new int[][] {{2, 4, 12}}),
                Arguments.of("attention packed, padding mask", (Function<Tensor[], Tensor>) x -> Attention.applyPacked(x[0], 2, false, PAD).output(),
                        new int[][] {{2, 4, 6}}),
                Arguments.of("attention over slices of one tensor", (Function<Tensor[], Tensor>) x ->
                        Attention.apply(x[0].slice(2, 0, 4), x[0].slice(2, 4, 8), x[0].slice(2, 8, 12), 2, true, null).output(),
                        new int[][] {{2, 3, 12}}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gradientCases")
    void gradientsMatchFiniteDifferences(String name, Function<Tensor[], Tensor> f, int[][] shapes) {
        Rng rng = new Rng(name.hashCode());
        Tensor[] inputs = new Tensor[shapes.length];
        for (int i = 0; i < shapes.length; i++) {
            double[] v = new double[Shape.size(shapes[i])];
            for (int k = 0; k < v.length; k++) v[k] = rng.uniform(-2, 2);
            inputs[i] = Tensor.of(v, shapes[i]);
        }
        GradCheck.Result r = GradCheck.check(f, inputs);
        assertThat(r.elementsChecked()).isPositive();
    }

    /** softmax(Q·Kᵀ/√dk + additive −1e9 mask)·V per head, from primitives: what MultiHeadAttention computed before. */
    static Tensor[] composed(Tensor q, Tensor k, Tensor v, int heads, boolean causal, Tensor mask) {
        int b = q.shape(0), tq = q.shape(1), tk = k.shape(1), dk = q.shape(2) / heads;
        Tensor qh = q.reshape(b, tq, heads, dk).permute(0, 2, 1, 3);
        Tensor kh = k.reshape(b, tk, heads, dk).permute(0, 2, 1, 3);
        Tensor vh = v.reshape(b, tk, heads, dk).permute(0, 2, 1, 3);
        Tensor scores = qh.matmul(kh.transpose(-1, -2)).mul((float) (1 / Math.sqrt(dk)));
        float[] bias = new float[b * tq * tk];
        double[] m = mask == null ? null : mask.toDoubleArray();
        for (int bb = 0; bb < b; bb++) {
            for (int i = 0; i < tq; i++) {
                for (int j = 0; j < tk; j++) {
                    if ((causal && j > i + tk - tq) || (m != null && m[bb * tk + j] == 0)) bias[(bb * tq + i) * tk + j] = -1e9f;
                }
            }
        }
        Tensor w = scores.add(Tensor.of(bias, b, 1, tq, tk)).softmax(-1);
        return new Tensor[] {w.matmul(vh).permute(0, 2, 1, 3).reshape(b, tq, heads * dk), w};
    }

    static Stream<Arguments> floatCases() {
        // b, tq, tk, heads, dk, causal, masked: sizes past one query block (32) and odd widths reach the kernel's edges
        return Stream.of(
                Arguments.of(2, 5, 5, 2, 3, false, false),
                Arguments.of(2, 70, 70, 2, 16, true, false),
                Arguments.of(3, 37, 37, 1, 7, true, true),
                Arguments.of(2, 33, 33, 4, 8, false, true),
                Arguments.of(1, 3, 40, 2, 5, true, false),
                Arguments.of(2, 1, 9, 3, 4, true, false));
    }

    @ParameterizedTest
    @MethodSource("floatCases")
    void floatAttentionAndItsGradientsMatchTheComposedForm(int b, int tq, int tk, int heads, int dk, boolean causal, boolean masked) {
        Rng rng = new Rng(b * 1000 + tq * 10 + tk);
        Tensor q = Tensor.normal(rng, 0, 1, b, tq, heads * dk).requiresGrad(true);
        Tensor k = Tensor.normal(rng, 0, 1, b, tk, heads * dk).requiresGrad(true);
        Tensor v = Tensor.normal(rng, 0, 1, b, tk, heads * dk).requiresGrad(true);
        Tensor mask = null;
        if (masked) {
            float[] m = new float[b * tk];
            for (int i = 0; i < m.length; i++) m[i] = rng.uniform() < 0.3 ? 0 : 1;
            // The first key of every sequence stays visible: a causal query that sees no key is uniform in the fused op and
            // passes back no gradient, while the composed form leaks one through the −1e9 that float rounding swallowed.
            for (int bb = 0; bb < b; bb++) m[bb * tk] = 1;
            mask = Tensor.of(m, b, tk);
        }
        Tensor g = Tensor.normal(rng, 0, 1, b, tq, heads * dk);
        Attention.Result fused = Attention.apply(q, k, v, heads, causal, mask);
        fused.output().backward(g);
        float[][] fusedGrads = {q.grad().toFloatArray(), k.grad().toFloatArray(), v.grad().toFloatArray()};
        q.zeroGrad();
        k.zeroGrad();
        v.zeroGrad();
        Tensor[] ref = composed(q, k, v, heads, causal, mask);
        ref[0].backward(g);
        close(fused.output().toFloatArray(), ref[0].toFloatArray(), 2e-5);
        close(fused.weights().toFloatArray(), ref[1].toFloatArray(), 2e-6);
        close(fusedGrads[0], q.grad().toFloatArray(), 5e-5);
        close(fusedGrads[1], k.grad().toFloatArray(), 5e-5);
        close(fusedGrads[2], v.grad().toFloatArray(), 5e-5);
    }

    @Test
    void packedAttentionEqualsAttentionOverTheThreeColumnBlocks() {
        Rng rng = new Rng(9);
        Tensor qkv = Tensor.normal(rng, 0, 1, 2, 45, 3 * 24).requiresGrad(true);
        Tensor g = Tensor.normal(rng, 0, 1, 2, 45, 24);
        Attention.Result packed = Attention.applyPacked(qkv, 3, true, null);
        packed.output().backward(g);
        float[] dPacked = qkv.grad().toFloatArray();
        qkv.zeroGrad();
        Attention.Result split = Attention.apply(qkv.slice(2, 0, 24), qkv.slice(2, 24, 48), qkv.slice(2, 48, 72), 3, true, null);
        split.output().backward(g);
        close(packed.output().toFloatArray(), split.output().toFloatArray(), 1e-6);
        close(packed.weights().toFloatArray(), split.weights().toFloatArray(), 1e-7);
        close(dPacked, qkv.grad().toFloatArray(), 1e-6);
    }

    @Test
    void everyResultAndGradientElementIsWrittenEvenInRecycledStorage() {
        // Results and gradients take unfilled storage; in a poisoned arena a recycled array is all NaN, so an element a
        // kernel leaves unwritten would show. The second pass runs on the first pass's recycled arrays.
        Rng rng = new Rng(12);
        Tensor x = Tensor.normal(rng, 0, 1, 2, 37, 12).requiresGrad(true);
        Tensor k = Tensor.normal(rng, 0, 1, 2, 40, 12).requiresGrad(true);
        Tensor gamma = Tensor.normal(rng, 1, 0.1f, 12).requiresGrad(true), beta = Tensor.normal(rng, 0, 1, 12).requiresGrad(true);
        Tensor mask = Tensor.of(new float[80], 2, 40).add(1f);
        mask.rawFloats()[3] = 0;
        java.util.function.Supplier<float[]> step = () -> {
            Tensor h = Gelu.apply(LayerNorm.apply(x, gamma, beta, 1e-5));
            Attention.Result a = Attention.apply(h, k, k, 3, true, mask);
            Tensor y = a.output().add(Attention.applyPacked(Tensor.concat(2, h, h, h), 2, true, null).output());
            y.mul(y).sum().backward();
            float[] out = new float[4];
            out[0] = y.sum().item();
            out[1] = a.weights().sum().item();
            out[2] = x.grad().sum().item() + gamma.grad().sum().item() + beta.grad().sum().item();
            out[3] = k.grad().sum().item();
            for (Tensor t : new Tensor[] {x, k, gamma, beta}) t.zeroGrad();
            return out;
        };
        float[] plain = step.get();
        StepArena arena = new StepArena(true);
        for (int pass = 0; pass < 2; pass++) {
            assertThat(arena.call(step)).containsExactly(plain);
            arena.reset();
        }
    }

    @Test
    void maskedAndFutureKeysGetExactlyZeroWeight() {
        Rng rng = new Rng(3);
        Tensor q = Tensor.normal(rng, 0, 1, 1, 4, 4), k = Tensor.normal(rng, 0, 1, 1, 4, 4), v = Tensor.normal(rng, 0, 1, 1, 4, 4);
        float[] w = Attention.apply(q, k, v, 2, true, Tensor.of(new float[] {0, 1, 1, 1}, 1, 4)).weights().toFloatArray();   // (1, 2, 4, 4)
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    float wij = w[(h * 4 + i) * 4 + j];
                    if (i == 0) assertThat(wij).isEqualTo(0.25f);                       // sees no key: uniform
                    else if (j == 0 || j > i) assertThat(wij).isEqualTo(0f);
                    else assertThat(wij).isPositive();
                }
            }
        }
    }

    @Test
    void layerNormAndGeluMatchTheComposedFormInFloat() {
        Rng rng = new Rng(5);
        Tensor x = Tensor.normal(rng, 1, 3, 6, 37).requiresGrad(true);
        Tensor gamma = Tensor.normal(rng, 1, 0.5f, 37).requiresGrad(true), beta = Tensor.normal(rng, 0, 1, 37).requiresGrad(true);
        Tensor g = Tensor.normal(rng, 0, 1, 6, 37);
        LayerNorm.apply(x, gamma, beta, 1e-5).backward(g);
        float[][] fused = {x.grad().toFloatArray(), gamma.grad().toFloatArray(), beta.grad().toFloatArray()};
        Tensor y = LayerNorm.apply(x, gamma, beta, 1e-5);
        x.zeroGrad();
        gamma.zeroGrad();
        beta.zeroGrad();
        Tensor c = x.sub(x.mean(-1, true));
        Tensor ref = c.div(c.square().mean(-1, true).add(1e-5f).sqrt()).mul(gamma).add(beta);
        ref.backward(g);
        close(y.toFloatArray(), ref.toFloatArray(), 2e-5);
        close(fused[0], x.grad().toFloatArray(), 5e-5);
        close(fused[1], gamma.grad().toFloatArray(), 5e-5);
        close(fused[2], beta.grad().toFloatArray(), 5e-5);

        Tensor z = Tensor.normal(rng, 0, 3, 5, 41).requiresGrad(true);
        Tensor gelu = Gelu.apply(z);
        gelu.backward(g.reshape(-1).slice(0, 0, 205).reshape(5, 41));
        float[] dFused = z.grad().toFloatArray();
        z.zeroGrad();
        Tensor inner = z.add(z.mul(z).mul(z).mul(0.044715f)).mul((float) Math.sqrt(2 / Math.PI));
        Tensor gRef = z.mul(inner.tanh().add(1f)).mul(0.5f);
        gRef.backward(g.reshape(-1).slice(0, 0, 205).reshape(5, 41));
        close(gelu.toFloatArray(), gRef.toFloatArray(), 1e-6);
        close(dFused, z.grad().toFloatArray(), 2e-6);
    }

    @Test
    void badShapesAreRejectedWithTheShapesInTheMessage() {
        Tensor q = Tensor.zeros(2, 3, 4), k = Tensor.zeros(2, 5, 4);
        assertThatThrownBy(() -> Attention.apply(q, k, Tensor.zeros(2, 5, 6), 2, false, null)).hasMessageContaining("(2, 5, 6)");
        assertThatThrownBy(() -> Attention.apply(q, k, k, 3, false, null)).hasMessageContaining("divide by heads");
        assertThatThrownBy(() -> Attention.apply(k, q, q, 2, true, null)).hasMessageContaining("causal");
        assertThatThrownBy(() -> Attention.apply(q, k, k, 2, false, Tensor.zeros(2, 3))).hasMessageContaining("key mask");
        assertThatThrownBy(() -> Attention.applyPacked(Tensor.zeros(2, 3, 8), 2, false, null)).hasMessageContaining("3·heads");
        assertThatThrownBy(() -> LayerNorm.apply(q, Tensor.ones(3), Tensor.zeros(4), 1e-5)).hasMessageContaining("gamma");
    }

    static void close(float[] a, float[] b, double tol) {
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.length; i++) assertThat(a[i]).as("element %d", i).isCloseTo(b[i], within((float) (tol * Math.max(1, Math.abs(b[i])))));
    }
}
