package dev.kiln.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which products go over the pool: from PARALLEL_WORK multiply-adds, and only from 8M while the JIT is at work. */
class GemmSplitRuleTest {

    @Test
    void smallProductsStayOnOneThreadAndMidSizedOnesWhileTheCompilerIsBusy() {
        long b32 = 32L * 784 * 128, b128 = 128L * 784 * 128, head = 32L * 128 * 10;
        for (boolean busy : new boolean[] {false, true}) {
            assertThat(Gemm.splits(head, 2, busy)).as("the head, busy=%s", busy).isFalse();
            assertThat(Gemm.splits(b128, 2, busy)).as("batch 128's first layer, busy=%s", busy).isTrue();
            assertThat(Gemm.splits(b32, 1, busy)).as("one thread").isFalse();
        }
        assertThat(Gemm.splits(b32, 2, false)).as("batch 32's first layer, compiler quiet").isTrue();
        assertThat(Gemm.splits(b32, 2, true)).as("batch 32's first layer, compiler busy").isFalse();
        assertThat(Gemm.splits(Gemm.PARALLEL_WORK - 1, 2, false)).isFalse();
        assertThat(Gemm.splits(Gemm.PARALLEL_WORK, 2, false)).isTrue();
        assertThat(Gemm.splits(Gemm.PARALLEL_WORK_WHILE_COMPILING - 1, 2, true)).isFalse();
        assertThat(Gemm.splits(Gemm.PARALLEL_WORK_WHILE_COMPILING, 2, true)).isTrue();
    }
}
