package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The element-wise, transformer and attention kernels split their work with one reusable body per calling thread
 * (instead of a capturing lambda per call). A body outlives the call, so it must drop the caller's arrays when the
 * call ends: otherwise an idle thread would keep a model's activations alive. Sizes here are large enough to split.
 */
class SplitBodyReleaseTest {
    @Test
    void everySplitBodyDropsItsArraysAfterTheCall() throws Exception {
        int n = 1 << 18;
        float[] a = ramp(n), b = ramp(n), out = new float[n];
        Elementwise.binary(BinaryKind.ADD, a, 0, 1, b, 0, 1, out, 0, n);
        assertThat(out[n - 1]).isEqualTo(2 * a[n - 1]);
        Elementwise.unary(UnaryKind.values()[0], a, 0, out, 0, n);
        Elementwise.addInPlace(out, 0, a, 0, n);
        assertHoldsNoArrays(Elementwise.class, "SPLIT");

        int rows = 512, cols = 256;
        float[] x = ramp(rows * cols), y = new float[rows * cols], dy = ramp(rows * cols), dx = new float[rows * cols];
        float[] gamma = ramp(cols), beta = ramp(cols), mean = new float[rows], rstd = new float[rows];
        TransformerKernels.gelu(x, 0, y, 0, rows * cols);
        TransformerKernels.geluBackward(x, 0, dy, 0, dx, 0, rows * cols);
        TransformerKernels.layerNorm(x, 0, rows, cols, gamma, 0, beta, 0, 1e-5f, y, 0, mean, rstd, 0);
        TransformerKernels.layerNormBackward(x, 0, rows, cols, gamma, 0, mean, rstd, 0, dy, 0, dx, 0, new float[cols], 0, new float[cols], 0);
        assertHoldsNoArrays(TransformerKernels.class, "SPLIT");

        int bt = 4, h = 4, t = 64, dk = 16, hd = h * dk;
        float[] q = ramp(bt * t * hd), k = ramp(bt * t * hd), v = ramp(bt * t * hd), p = new float[bt * h * t * t], o = new float[bt * t * hd];
        AttentionKernels.forward(bt, h, t, t, dk, true, 0.25f, null, 0, hd, hd, q, 0, k, 0, v, 0, p, 0, o, 0);
        AttentionKernels.backward(bt, h, t, t, dk, true, 0.25f, null, 0, hd, hd, q, 0, k, 0, v, 0, p, 0, ramp(bt * t * hd), 0,
                new float[bt * t * hd], 0, new float[bt * t * hd], 0, new float[bt * t * hd], 0);
        assertHoldsNoArrays(AttentionKernels.class, "SPLIT_BODY");
    }

    private static float[] ramp(int n) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = (i % 97) / 97f - 0.5f;
        return r;
    }

    /** The calling thread's body in {@code owner}'s ThreadLocal {@code field} has every array field null. */
    private static void assertHoldsNoArrays(Class<?> owner, String field) throws Exception {
        Field f = owner.getDeclaredField(field);
        f.setAccessible(true);
        Object body = ((ThreadLocal<?>) f.get(null)).get();
        for (Field g : body.getClass().getDeclaredFields()) {
            if (!g.getType().isArray()) continue;
            g.setAccessible(true);
            assertThat(g.get(body)).as(owner.getSimpleName() + " body's " + g.getName() + " after the call").isNull();
        }
        assertThat(Arrays.stream(body.getClass().getDeclaredFields()).filter(g -> g.getType().isArray())).as(owner.getSimpleName() + " body has array fields").isNotEmpty();
    }
}
