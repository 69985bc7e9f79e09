package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TensorTest {

    private static Tensor arange(int... shape) {
        float[] a = new float[Shape.size(shape)];
        for (int i = 0; i < a.length; i++) a[i] = i;
        return Tensor.of(a, shape);
    }

    private static float[] f(float... v) {
        return v;
    }

    // ---------------------------------------------------------------- shapes and errors

    @Test
    void broadcastErrorNamesBothShapes() {
        assertThatThrownBy(() -> Tensor.zeros(3, 4).add(Tensor.zeros(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(3, 4)").hasMessageContaining("(5,)");
        assertThatThrownBy(() -> Tensor.zeros(2, 3).mul(Tensor.zeros(3, 2)))
                .hasMessageContaining("(2, 3)").hasMessageContaining("(3, 2)");
    }

    @Test
    void broadcastShapes() {
        assertThat(Tensor.zeros(2, 1, 3).add(Tensor.zeros(4, 1)).shape()).containsExactly(2, 4, 3);
        assertThat(Tensor.zeros(3).add(Tensor.scalar(1f)).shape()).containsExactly(3);
        assertThat(Tensor.scalar(2f).mul(Tensor.scalar(3f)).item()).isEqualTo(6f);
    }

    @Test
    void ofChecksTheElementCount() {
        assertThatThrownBy(() -> Tensor.of(new float[5], 2, 3)).hasMessageContaining("(2, 3)").hasMessageContaining("5");
    }

    @Test
    void reshapeInfersOneDimension() {
        Tensor x = arange(3, 4);
        assertThat(x.reshape(-1).shape()).containsExactly(12);
        assertThat(x.reshape(2, -1, 3).shape()).containsExactly(2, 2, 3);
        assertThat(x.reshape(-1, 6).toFloatArray()).containsExactly(x.toFloatArray());
        assertThatThrownBy(() -> x.reshape(-1, -1)).hasMessageContaining("only one dimension may be -1");
        assertThatThrownBy(() -> x.reshape(5, -1)).hasMessageContaining("(3, 4)");
        assertThatThrownBy(() -> x.reshape(5, 2)).hasMessageContaining("12 elements");
        assertThatThrownBy(() -> x.reshape(-2, -6)).hasMessageContaining("(3, 4)");
        assertThat(Tensor.zeros(0, 3).reshape(-1, 3).shape()).containsExactly(0, 3);
    }

    @Test
    void matmulInnerDimensionMismatchNamesBothShapes() {
        assertThatThrownBy(() -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("(2, 3)").hasMessageContaining("(4, 5)").hasMessageContaining("inner dimensions");
        assertThatThrownBy(() -> Tensor.zeros(3).matmul(Tensor.zeros(3, 1))).hasMessageContaining("rank >= 2");
        assertThatThrownBy(() -> Tensor.zeros(2, 2, 3).matmul(Tensor.zeros(3, 3, 2))).hasMessageContaining("(2,)").hasMessageContaining("(3,)");
    }

    @Test
    void gatherBoundsErrorsSayWhichIndex() {
        Tensor x = arange(3, 4);
        assertThatThrownBy(() -> x.indexSelect(0, new int[] {0, 3}))
                .isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("index 3 at position 1").hasMessageContaining("[0, 3)").hasMessageContaining("(3, 4)");
        assertThatThrownBy(() -> x.indexSelect(1, new int[] {-1})).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> x.gatherAlong(1, new int[] {0, 4, 1}))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("index 4 at position 1");
        assertThatThrownBy(() -> x.gatherAlong(1, new int[] {0, 1}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 3 indices, got 2");
        assertThatThrownBy(() -> x.sum(2, false)).hasMessageContaining("axis 2 is out of range for rank 2");
        assertThatThrownBy(() -> x.slice(1, 2, 5)).hasMessageContaining("out of range");
        assertThatThrownBy(() -> x.expand(3, 5)).hasMessageContaining("(3, 4)").hasMessageContaining("(3, 5)");
        assertThatThrownBy(() -> Tensor.concat(0, x, arange(2, 3))).hasMessageContaining("(2, 3)").hasMessageContaining("(3, 4)");
    }

    @Test
    void dtypeMismatchIsAClearError() {
        Tensor a = Tensor.zeros(2), b = Tensor.zeros(DType.FLOAT64, 2);
        assertThatThrownBy(() -> a.add(b)).hasMessageContaining("FLOAT32").hasMessageContaining("FLOAT64").hasMessageContaining("to(DType)");
    }

    @Test
    void emptyTensorsBroadcastAndReduce() {
        assertThat(Tensor.zeros(0, 3).add(Tensor.ones(3)).shape()).containsExactly(0, 3);
        assertThat(Tensor.zeros(DType.FLOAT64, 0, 3).mul(Tensor.zeros(DType.FLOAT64, 3)).shape()).containsExactly(0, 3);
        assertThat(Tensor.zeros(0, 3).sum(0, false).toFloatArray()).containsExactly(0f, 0f, 0f);
        assertThat(Tensor.zeros(3, 0).sum(1, false).toFloatArray()).containsExactly(0f, 0f, 0f);
        assertThat(Tensor.zeros(0, 3).transpose(0, 1).contiguous().shape()).containsExactly(3, 0);
        assertThat(Tensor.zeros(2, 0).matmul(Tensor.zeros(0, 3)).toFloatArray()).containsOnly(0f).hasSize(6);
    }

    // ---------------------------------------------------------------- views

    @Test
    void viewsShareStorageWithTheirBase() {
        Tensor base = arange(3, 4);
        Tensor slice = base.slice(1, 1, 3);
        Tensor t = base.transpose(0, 1);
        Tensor r = base.reshape(2, 6);
        Tensor p = base.reshape(1, 3, 4).permute(2, 0, 1);
        base.rawFloats()[6] = 100f; // element (1, 2)
        assertThat(slice.get(1, 1)).isEqualTo(100);
        assertThat(t.get(2, 1)).isEqualTo(100);
        assertThat(r.get(1, 0)).isEqualTo(100);
        assertThat(p.get(2, 0, 1)).isEqualTo(100);
        assertThat(slice.isContiguous()).isFalse();
        assertThat(t.isContiguous()).isFalse();
        assertThat(r.isContiguous()).isTrue();
        assertThatThrownBy(slice::rawFloats).isInstanceOf(IllegalStateException.class);
        assertThat(slice.hasRawFloats()).as("what rawFloats refuses").isFalse();
        assertThat(base.slice(0, 1, 3).hasRawFloats()).as("contiguous, but not from the storage's start").isFalse();
        assertThat(base.hasRawFloats()).isTrue();
        assertThat(r.hasRawFloats()).as("a whole reshape view").isTrue();
        assertThat(Tensor.of(new double[] {1, 2}, 2).hasRawFloats()).as("float64").isFalse();
    }

    @Test
    void contiguousCopiesNonContiguousViewsInRowMajorOrder() {
        Tensor x = arange(2, 3, 4);
        Tensor v = x.permute(2, 0, 1).slice(2, 1, 3); // (4, 2, 2)
        Tensor c = v.contiguous();
        assertThat(c.isContiguous()).isTrue();
        assertThat(c.shape()).containsExactly(4, 2, 2);
        float[] expected = new float[16];
        int k = 0;
        for (int a = 0; a < 4; a++) for (int b = 0; b < 2; b++) for (int d = 1; d < 3; d++) expected[k++] = b * 12 + d * 4 + a;
        assertThat(c.toFloatArray()).containsExactly(expected);
        assertThat(c.rawFloats()).as("a copy owns fresh storage").isNotSameAs(x.rawFloats());
        assertThat(x.contiguous()).isSameAs(x);
        assertThat(x.transpose(0, 1).contiguous().toFloatArray())
                .containsExactly(0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19, 8, 9, 10, 11, 20, 21, 22, 23);
    }

    @Test
    void expandIsAStrideZeroView() {
        Tensor x = Tensor.of(f(1, 2, 3), 3, 1);
        Tensor e = x.expand(2, 3, 4);
        assertThat(e.contiguous().toFloatArray()).containsExactly(1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
        assertThat(e.sum().item()).isEqualTo(48f);
    }

    @Test
    void opsOnViewsWithOffsetsAndStrides() {
        Tensor x = arange(4, 5);
        Tensor a = x.slice(0, 1, 3).slice(1, 2, 5);  // (2, 3) rows 1-2, cols 2-4
        Tensor b = x.transpose(0, 1).slice(0, 0, 3).slice(1, 0, 2).transpose(0, 1); // (2, 3) = x[0:2, 0:3]
        assertThat(a.add(b).toFloatArray()).containsExactly(7, 9, 11, 17, 19, 21);
        assertThat(a.exp().log().toFloatArray()).usingComparatorWithPrecision(1e-4f).containsExactly(7, 8, 9, 12, 13, 14);
        assertThat(a.matmul(b.transpose(0, 1)).toFloatArray()).containsExactly(
                7 * 0 + 8 * 1 + 9 * 2, 7 * 5 + 8 * 6 + 9 * 7, 12 * 0 + 13 * 1 + 14 * 2, 12 * 5 + 13 * 6 + 14 * 7);
        assertThat(a.sum(0, false).toFloatArray()).containsExactly(19, 21, 23);
        assertThat(a.max(1, false).toFloatArray()).containsExactly(9, 14);
    }

    // ---------------------------------------------------------------- autodiff

    @Test
    void backwardAccumulatesAcrossCalls() {
        Tensor x = Tensor.of(f(1, 2, 3), 3).requiresGrad(true);
        x.mul(2f).sum().backward();
        x.mul(2f).sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(4, 4, 4);
        x.zeroGrad();
        x.mul(x).sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(2, 4, 6);
    }

    @Test
    void gradientsOfDifferentLeavesNeverAlias() {
        // d(loss)/da and d(loss)/db are the very same tensor inside backward; accumulating into one must not touch the other.
        Tensor a = Tensor.of(f(1, 2), 2).requiresGrad(true);
        Tensor b = Tensor.of(f(3, 4), 2).requiresGrad(true);
        Tensor c = Tensor.of(f(5, 6), 2);
        for (int i = 0; i < 2; i++) a.add(b).mul(c).sum().backward();
        assertThat(a.grad().toFloatArray()).containsExactly(10, 12);
        assertThat(b.grad().toFloatArray()).containsExactly(10, 12);
        Tensor up = Tensor.of(f(1, 1), 2);
        Tensor z = a.add(b);
        z.backward(up);
        z.backward(up);
        assertThat(up.toFloatArray()).as("the upstream gradient is never modified").containsExactly(1, 1);
        assertThat(a.grad().toFloatArray()).containsExactly(12, 14);
        assertThat(b.grad().toFloatArray()).containsExactly(12, 14);
    }

    @Test
    void aTensorUsedTwiceGetsTheSummedGradient() {
        Tensor x = Tensor.of(f(0.5f, -1f), 2).requiresGrad(true);
        x.mul(x).add(x.mul(3f)).sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(4f, 1f); // 2x + 3
    }

    @Test
    void backwardOfALeafItself() {
        Tensor x = Tensor.of(f(1, 2), 2).requiresGrad(true);
        x.backward(Tensor.of(f(3, 4), 2));
        assertThat(x.grad().toFloatArray()).containsExactly(3, 4);
    }

    @Test
    void noGradRecordsNothing() {
        Tensor x = Tensor.of(f(1, 2), 2).requiresGrad(true);
        Tensor y = Grad.noGrad(() -> x.mul(x).exp().sum());
        assertThat(y.requiresGrad()).isFalse();
        assertThat(Grad.isEnabled()).isTrue();
        Grad.noGrad(() -> assertThat(Grad.isEnabled()).isFalse());
        assertThatThrownBy(y::backward).hasMessageContaining("does not require gradients");
        assertThat(x.mul(x).requiresGrad()).isTrue();
    }

    @Test
    void detachCutsTheGraph() {
        Tensor x = Tensor.of(f(2, 3), 2).requiresGrad(true);
        Tensor d = x.detach();
        assertThat(d.requiresGrad()).isFalse();
        x.mul(d).sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(2, 3); // not 2x
    }

    @Test
    void backwardErrors() {
        Tensor x = Tensor.of(f(1, 2), 2).requiresGrad(true);
        Tensor y = x.mul(2f);
        assertThatThrownBy(y::backward).hasMessageContaining("(2,)").hasMessageContaining("mean()");
        assertThatThrownBy(() -> y.backward(Tensor.zeros(3))).hasMessageContaining("(3,)").hasMessageContaining("(2,)");
        assertThatThrownBy(() -> y.requiresGrad(false)).hasMessageContaining("detach()");
        assertThatThrownBy(x::item).hasMessageContaining("(2,)");
    }

    @Test
    void maxTiesShareTheGradient() {
        Tensor x = Tensor.of(f(1, 3, 3, 2), 4).requiresGrad(true);
        x.max().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(0, 0.5f, 0.5f, 0);
        Tensor a = Tensor.of(f(1, 2), 2).requiresGrad(true);
        Tensor b = Tensor.of(f(1, 3), 2).requiresGrad(true);
        a.maximum(b).sum().backward();
        assertThat(a.grad().toFloatArray()).containsExactly(0.5f, 0);
        assertThat(b.grad().toFloatArray()).containsExactly(0.5f, 1);
    }

    @Test
    void whereSelectsAndRoutesGradient() {
        Tensor cond = Tensor.of(f(1, 0, 1), 3);
        Tensor a = Tensor.of(f(1, 2, 3), 3).requiresGrad(true);
        Tensor b = Tensor.scalar(-1f).requiresGrad(true);
        Tensor w = Tensor.where(cond, a, b);
        assertThat(w.toFloatArray()).containsExactly(1, -1, 3);
        w.sum().backward();
        assertThat(a.grad().toFloatArray()).containsExactly(1, 0, 1);
        assertThat(b.grad().item()).isEqualTo(1f);
    }

    @Test
    void notEqualIsAFloatMaskOfTheSameShape() {
        Tensor ids = Tensor.of(f(3, 0, 7, 0, Float.NaN, 2), 2, 3);
        Tensor m = ids.notEqual(0);
        assertThat(m.shape()).containsExactly(2, 3);
        assertThat(m.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(m.toFloatArray()).containsExactly(1, 0, 1, 0, 1, 1);   // NaN differs from everything
        assertThat(ids.notEqual(7).toFloatArray()).containsExactly(1, 1, 0, 1, 1, 1);
        // a strided view (the transpose) and float64 ids read the same elements
        assertThat(ids.transpose(0, 1).notEqual(0).toFloatArray()).containsExactly(1, 0, 0, 1, 1, 1);
        Tensor wide = Tensor.of(new double[] {0, 5, 0.5}, 3);
        assertThat(wide.notEqual(0).toFloatArray()).containsExactly(0, 1, 1);
        assertThat(wide.notEqual(0).dtype()).isEqualTo(DType.FLOAT32);
        Tensor tracked = Tensor.of(f(1, 0), 2).requiresGrad(true);
        assertThat(tracked.notEqual(0).requiresGrad()).as("a mask is not differentiated").isFalse();
    }

    @Test
    void gradientHasTheLeafDtype() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
        x.exp().sum().backward();
        assertThat(x.grad().dtype()).isEqualTo(DType.FLOAT64);
        assertThat(x.grad().toDoubleArray()).containsExactly(Math.exp(1), Math.exp(2));
    }

    // ---------------------------------------------------------------- composites and helpers

    @Test
    void softmaxRowsSumToOne() {
        Tensor x = Tensor.normal(new Rng(3), 0, 5, 4, 7);
        Tensor s = x.softmax(-1).sum(-1, false);
        for (float v : s.toFloatArray()) assertThat(v).isCloseTo(1f, within(1e-5f));
        Tensor s0 = x.softmax(0).sum(0, false);
        for (float v : s0.toFloatArray()) assertThat(v).isCloseTo(1f, within(1e-5f));
    }

    @Test
    void softmaxAndLogSoftmaxAreStableForHugeInputs() {
        Tensor x = Tensor.of(f(1000, 0, -1000, 1000, 1000, 1000), 2, 3);
        assertThat(x.softmax(-1).toFloatArray()).usingComparatorWithPrecision(1e-6f).containsExactly(1, 0, 0, 1 / 3f, 1 / 3f, 1 / 3f);
        float[] ls = x.logSoftmax(-1).toFloatArray();
        assertThat(ls).usingComparatorWithPrecision(1e-3f)
                .containsExactly(0, -1000, -2000, (float) -Math.log(3), (float) -Math.log(3), (float) -Math.log(3));
        Tensor y = Tensor.of(f(1000, -1000), 1, 2).requiresGrad(true);
        y.logSoftmax(-1).sum().backward();
        for (float g : y.grad().toFloatArray()) assertThat(Float.isFinite(g)).isTrue();
    }

    @Test
    void aSoftmaxOrSigmoidRemembersItsLogitsUntilChangedInPlace() {
        Tensor z = Tensor.normal(new Rng(5), 0, 2, 3, 4);
        Tensor p = z.softmax(-1);
        assertThat(p.softmaxLogits()).isSameAs(z);
        assertThat(p.sigmoidLogits()).isNull();
        assertThat(z.softmax(1).softmaxLogits()).as("axis 1 of rank 2 is the last").isSameAs(z);
        assertThat(z.softmax(0).softmaxLogits()).as("not along the last axis").isNull();
        assertThat(p.exp().softmaxLogits()).as("any other op").isNull();
        Tensor s = z.sigmoid();
        assertThat(s.sigmoidLogits()).isSameAs(z);
        assertThat(s.softmaxLogits()).isNull();
        p.addInPlace(Tensor.zeros(3, 4));
        s.fillInPlace(0.5f);
        assertThat(p.softmaxLogits()).isNull();
        assertThat(s.sigmoidLogits()).isNull();
    }

    @Test
    void softmaxIsOneOpWhoseBackwardIsTheJacobianProduct() {
        Tensor z = Tensor.of(new double[] {1, 2, 3, -1, 0, 1}, 2, 3).requiresGrad(true);
        Tensor w = Tensor.of(new double[] {1, 0, 0, 0, 2, 0}, 2, 3);
        z.softmax(-1).mul(w).sum().backward();
        double[] g = z.grad().toDoubleArray();
        for (int r = 0; r < 2; r++) {
            double[] y = new double[3];
            double sum = 0;
            for (int j = 0; j < 3; j++) sum += y[j] = Math.exp(z.toDoubleArray()[r * 3 + j]);
            double dot = 0;
            for (int j = 0; j < 3; j++) dot += (y[j] /= sum) * w.toDoubleArray()[r * 3 + j];
            for (int j = 0; j < 3; j++) assertThat(g[r * 3 + j]).isCloseTo(y[j] * (w.toDoubleArray()[r * 3 + j] - dot), within(1e-12));
        }
    }

    @Test
    void argmaxLastAxis() {
        Tensor x = Tensor.of(f(1, 5, 2, 9, 0, 3, 7, 7, -1), 3, 3);
        assertThat(x.argmaxLastAxis()).containsExactly(1, 0, 0);
        assertThat(x.transpose(0, 1).argmaxLastAxis()).containsExactly(1, 2, 1);
        assertThat(Tensor.of(f(-3, -2, -5), 3).argmaxLastAxis()).containsExactly(1);
    }

    @Test
    void reductionsKeepOrDropDims() {
        Tensor x = arange(2, 3, 4);
        assertThat(x.sum(1, true).shape()).containsExactly(2, 1, 4);
        assertThat(x.sum(new int[] {0, 2}, false).toFloatArray()).containsExactly(60, 92, 124);
        assertThat(x.mean(new int[] {0, 2}, true).shape()).containsExactly(1, 3, 1);
        assertThat(x.max(0, false).toFloatArray()).containsExactly(12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23);
        assertThat(x.max().item()).isEqualTo(23f);
        assertThat(x.mean().item()).isEqualTo(11.5f);
        assertThat(x.sum().shape()).isEmpty();
        assertThatThrownBy(() -> x.sum(new int[] {1, -2}, false)).hasMessageContaining("twice");
        assertThatThrownBy(() -> Tensor.zeros(0).max()).hasMessageContaining("empty");
    }

    @Test
    void concatIndexSelectAndGatherValues() {
        Tensor x = arange(3, 2);
        assertThat(Tensor.concat(1, x, x.mul(10f)).toFloatArray()).containsExactly(0, 1, 0, 10, 2, 3, 20, 30, 4, 5, 40, 50);
        assertThat(x.indexSelect(0, new int[] {2, 2, 0}).toFloatArray()).containsExactly(4, 5, 4, 5, 0, 1);
        assertThat(x.gatherAlong(1, new int[] {1, 0, 1}).toFloatArray()).containsExactly(1, 2, 5);
        Tensor table = arange(3, 2).requiresGrad(true);
        table.indexSelect(0, new int[] {1, 1, 2}).sum().backward();
        assertThat(table.grad().toFloatArray()).containsExactly(0, 0, 2, 2, 1, 1);
    }

    @Test
    void concatRemembersItsInputsNotTheCallersArray() {
        Tensor a = Tensor.of(f(1, 2), 2).requiresGrad(true);
        Tensor b = Tensor.of(f(3), 1).requiresGrad(true);
        Tensor[] parts = {a, b};
        Tensor y = Tensor.concat(0, parts);
        parts[0] = Tensor.zeros(2); // the caller reuses its array
        y.mul(Tensor.of(f(1, 2, 3), 3)).sum().backward();
        assertThat(a.grad()).isNotNull();
        assertThat(a.grad().toFloatArray()).containsExactly(1, 2);
        assertThat(b.grad().toFloatArray()).containsExactly(3);
    }

    @Test
    void conversionsAndPrinting() {
        Tensor x = Tensor.of(f(1.5f, -2f), 2).named("w");
        assertThat(x.to(DType.FLOAT64).toDoubleArray()).containsExactly(1.5, -2.0);
        assertThat(x.to(DType.FLOAT64).to(DType.FLOAT32).toFloatArray()).containsExactly(1.5f, -2f);
        assertThat(x.toString()).contains("(2,)").contains("'w'").contains("1.5000");
        assertThat(Tensor.full(2f, 2, 2).fillInPlace(3f).toFloatArray()).containsOnly(3f);
        for (float v : Tensor.uniform(new Rng(1), -1, 1, 100).toFloatArray()) assertThat(v).isBetween(-1f, 1f);
        assertThat(Tensor.uniform(new Rng(1), 0, 1, 5).toFloatArray()).containsExactly(Tensor.uniform(new Rng(1), 0, 1, 5).toFloatArray());
    }
}
