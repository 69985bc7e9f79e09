package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * Below {@link Elementwise#SCALAR_BELOW} elements the sum, the unary and the binary ops run without vectors (so C1 has nothing to box
 * during warm-up); they must give exactly the vector loops' bits, or a tensor's result would depend on its size class.
 */
class ElementwiseSmallSizesTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** The vector sum as Elementwise computes it above the cutoff: lane-wise adds, lanes in order, then the tail. */
    private static float vectorSum(float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int upper = S.loopBound(n); i < upper; i += S.length()) acc = acc.add(FloatVector.fromArray(S, x, xo + i));
        float[] lanes = acc.toArray();
        float s = 0;
        for (float l : lanes) s += l;
        for (; i < n; i++) s += x[xo + i];
        return s;
    }

    @Test
    void smallSumsHaveTheVectorLoopsBits() {
        Rng rng = new Rng(11);
        for (int n = 0; n < Elementwise.SCALAR_BELOW + 40; n++) {
            float[] x = new float[n + 3];
            for (int i = 0; i < x.length; i++) x[i] = (float) ((rng.uniform() - 0.5) * Math.pow(10, rng.nextInt(7) - 3));
            assertThat(Elementwise.sum(x, 3 % (x.length), Math.min(n, x.length - 3 % x.length)))
                    .as("n=%d", n).isEqualTo(vectorSum(x, 3 % (x.length), Math.min(n, x.length - 3 % x.length)));
        }
    }

    @Test
    void smallUnaryOpsHaveTheVectorLoopsBits() {
        Rng rng = new Rng(13);
        for (UnaryKind k : UnaryKind.values()) {
            for (int n : new int[] {1, 16, 100, Elementwise.SCALAR_BELOW - 1}) {
                float[] x = new float[n], small = new float[n];
                for (int i = 0; i < n; i++) x[i] = (float) (rng.uniform() * 20 - 10);
                if (k == UnaryKind.LOG || k == UnaryKind.SQRT) for (int i = 0; i < n; i++) x[i] = Math.abs(x[i]) + 1e-3f;
                Elementwise.unary(k, x, 0, small, 0, n);
                // the same elements at the end of an array big enough for the vector loops (its other elements 1)
                int big = Elementwise.SCALAR_BELOW * 2, off = big - n;
                float[] x2 = new float[big], out2 = new float[big];
                java.util.Arrays.fill(x2, 1f);
                System.arraycopy(x, 0, x2, off, n);
                Elementwise.unary(k, x2, 0, out2, 0, big);
                for (int i = 0; i < n; i++) assertThat(small[i]).as("%s n=%d i=%d x=%s", k, n, i, x[i]).isEqualTo(out2[off + i]);
            }
        }
    }

    @Test
    void smallAccumulationsAndMaximaHaveTheVectorLoopsBits() {
        Rng rng = new Rng(14);
        for (int n : new int[] {1, 16, 100, Elementwise.SCALAR_BELOW - 1}) {
            float[] x = new float[n], y = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) (rng.uniform() * 10 - 5);
                y[i] = (float) (rng.uniform() * 10 - 5);
            }
            if (n > 3) { x[1] = -0f; y[1] = 0f; x[2] = 0f; y[2] = -0f; }
            int big = Elementwise.SCALAR_BELOW * 2, off = big - n;
            float[] x2 = new float[big], y2 = new float[big];
            java.util.Arrays.fill(x2, -1e30f);
            System.arraycopy(x, 0, x2, off, n);
            System.arraycopy(y, 0, y2, off, n);

            float[] sumSmall = y.clone(), sumBig = y2.clone();
            Elementwise.addInPlace(sumSmall, 0, x, 0, n);
            Elementwise.addInPlace(sumBig, 0, x2, 0, big);
            float[] maxSmall = y.clone(), maxBig = y2.clone();
            Elementwise.maxInPlace(maxSmall, 0, x, 0, n);
            Elementwise.maxInPlace(maxBig, 0, x2, 0, big);
            for (int i = 0; i < n; i++) {
                assertThat(sumSmall[i]).as("addInPlace n=%d i=%d", n, i).isEqualTo(sumBig[off + i]);
                assertThat(maxSmall[i]).as("maxInPlace n=%d i=%d", n, i).isEqualTo(maxBig[off + i]);
            }
            // the maximum of the small array, and of the same values with -1e30 before them (vector path)
            assertThat(Elementwise.max(x, 0, n)).as("max n=%d", n).isEqualTo(Elementwise.max(x2, 0, big));
        }
    }

    @Test
    void smallBinaryOpsHaveTheVectorLoopsBits() {
        Rng rng = new Rng(12);
        for (BinaryKind k : new BinaryKind[] {BinaryKind.ADD, BinaryKind.SUB, BinaryKind.MUL, BinaryKind.DIV, BinaryKind.MAX, BinaryKind.MIN}) {
            for (int n : new int[] {16, 100, Elementwise.SCALAR_BELOW - 1}) {
                float[] a = new float[n], b = new float[n], small = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (float) (rng.uniform() * 10 - 5);
                    b[i] = (float) (rng.uniform() * 4 + 0.25);
                }
                Elementwise.binary(k, a, 0, 1, b, 0, 1, small, 0, n);
                // the same elements at the end of an array big enough for the vector loops
                int big = Elementwise.SCALAR_BELOW * 2, off = big - n;
                float[] a2 = new float[big], b2 = new float[big], out2 = new float[big];
                System.arraycopy(a, 0, a2, off, n);
                System.arraycopy(b, 0, b2, off, n);
                java.util.Arrays.fill(b2, 0, off, 1f);
                Elementwise.binary(k, a2, 0, 1, b2, 0, 1, out2, 0, big);
                for (int i = 0; i < n; i++) assertThat(small[i]).as("%s n=%d i=%d", k, n, i).isEqualTo(out2[off + i]);
            }
        }
    }
}
