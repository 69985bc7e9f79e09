package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import org.junit.jupiter.api.Test;

/**
 * Element-wise ops from {@link Elementwise#PARALLEL_ELEMENTS} elements up are split across the pool's threads; every
 * element must come out with the same bits as when the op runs on one thread, whatever chunk (vector body or scalar
 * tail) it falls in. The reference is the same op over small pieces, which stay on the caller's thread.
 */
class ElementwiseSplitTest {
    private static final int N = 2 * Elementwise.PARALLEL_ELEMENTS + 13;   // ragged: chunk ends fall mid-vector
    private static final int PIECE = 1000;

    private static float[] random(Rng rng, int n, double lo, double hi) {
        return KernelTwinTest.random(rng, n, lo, hi);
    }

    @Test
    void unaryOpsSplitAcrossThreadsGiveTheSingleThreadBits() {
        Rng rng = new Rng(41);
        for (UnaryKind k : UnaryKind.values()) {
            double[] dom = KernelTwinTest.domain(k);
            float[] x = random(rng, N + 3, dom[0], dom[1]);
            float[] split = new float[N + 5], pieces = new float[N + 5];
            Elementwise.unary(k, x, 3, split, 5, N);
            for (int i = 0; i < N; i += PIECE) Elementwise.unary(k, x, 3 + i, pieces, 5 + i, Math.min(PIECE, N - i));
            assertThat(split).as("%s", k).isEqualTo(pieces);
        }
    }

    @Test
    void binaryOpsSplitAcrossThreadsGiveTheSingleThreadBits() {
        Rng rng = new Rng(42);
        float[] a = random(rng, N + 2, -4, 4), b = random(rng, N + 1, 0.5, 4);
        for (BinaryKind k : BinaryKind.values()) {
            for (int sb : new int[] {1, 0}) {   // b contiguous, or one broadcast scalar
                float[] split = new float[N + 4], pieces = new float[N + 4];
                Elementwise.binary(k, a, 2, 1, b, 1, sb, split, 4, N);
                for (int i = 0; i < N; i += PIECE) {
                    Elementwise.binary(k, a, 2 + i, 1, b, 1 + i * sb, sb, pieces, 4 + i, Math.min(PIECE, N - i));
                }
                assertThat(split).as("%s, b stride %d", k, sb).isEqualTo(pieces);
            }
        }
    }

    @Test
    void addInPlaceSplitAcrossThreadsGivesTheSingleThreadBits() {
        Rng rng = new Rng(43);
        float[] x = random(rng, N + 1, -2, 2), y0 = random(rng, N + 2, -2, 2);
        float[] split = y0.clone(), pieces = y0.clone();
        Elementwise.addInPlace(split, 2, x, 1, N);
        for (int i = 0; i < N; i += PIECE) Elementwise.addInPlace(pieces, 2 + i, x, 1 + i, Math.min(PIECE, N - i));
        assertThat(split).isEqualTo(pieces);
    }
}
