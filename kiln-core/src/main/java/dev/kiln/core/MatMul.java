package dev.kiln.core;

import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.Gemm;
import dev.kiln.core.kernel.ScalarKernels;

/**
 * Batched matrix product (..., M, K) · (..., K, N) → (..., M, N), batch dimensions broadcast. Transposed
 * views are handed to the kernel as transposed operands rather than copied.
 */
final class MatMul extends Function {
    // Not final: a training step refills last step's node (Tensor#spareNode) instead of making one.
    private Tensor a;
    private Tensor b;
    private Tensor aT, aTOf, bT, bTOf;   // backward's transposed views, kept while the operands are the same tensors
    private final Tensor[] grads = new Tensor[2];

    private MatMul() {
        super(new Tensor[2]);
    }

    static Tensor apply(Tensor a, Tensor b) {
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matmul needs tensors of rank >= 2, got " + Shape.str(a.shape) + " and " + Shape.str(b.shape)
                    + "; reshape vectors to (1, n) or (n, 1)");
        }
        if (a.dtype != b.dtype) throw new IllegalArgumentException("matmul: dtypes differ (" + a.dtype + " vs " + b.dtype + ")");
        int m = a.shape[a.rank() - 2], k = a.shape[a.rank() - 1];
        int k2 = b.shape[b.rank() - 2], n = b.shape[b.rank() - 1];
        if (k != k2) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + Shape.str(a.shape) + " · " + Shape.str(b.shape)
                    + " (the last dimension of the first, " + k + ", must equal the second-to-last of the second, " + k2 + ")");
        }
        // shapes in per-thread arrays (ShapeScratch): the arena copies one only when it makes a tensor
        int[] batchA = ShapeScratch.of(ShapeScratch.MATMUL_A, a.rank() - 2), batchB = ShapeScratch.of(ShapeScratch.MATMUL_B, b.rank() - 2);
        System.arraycopy(a.shape, 0, batchA, 0, batchA.length);
        System.arraycopy(b.shape, 0, batchB, 0, batchB.length);
        int[] batch = ShapeScratch.of(ShapeScratch.MATMUL_BATCH, Math.max(batchA.length, batchB.length));
        Shape.broadcastInto(batchA, batchB, batch);
        int[] shape = ShapeScratch.of(ShapeScratch.MATMUL_OUT, batch.length + 2);
        System.arraycopy(batch, 0, shape, 0, batch.length);
        shape[batch.length] = m;
        shape[batch.length + 1] = n;
        // every element is written by the products (k = 0 writes zeros), so no zero fill
        Tensor out = Tensor.uninitializedCopying(a.dtype, shape);
        Tensor ap = asMatrix(a), bp = asMatrix(b);
        boolean ta = transposed(ap), tb = transposed(bp);
        int lda = ta ? ap.strides[ap.rank() - 1] : ap.strides[ap.rank() - 2];
        int ldb = tb ? bp.strides[bp.rank() - 1] : bp.strides[bp.rank() - 2];
        if (batch.length == 0) {
            gemm(ta, tb, m, n, k, ap, ap.offset, lda, bp, bp.offset, ldb, out, 0, n);
        } else {
            // One gemm per batch element: iterate the batch dims with a trailing unit "row" (a reused walk, no lambda).
            int[] shapeB = ShapeScratch.of(ShapeScratch.MATMUL_WALK, batch.length + 1);
            System.arraycopy(batch, 0, shapeB, 0, batch.length);
            shapeB[batch.length] = 1;
            Strided.Walk w = Strided.Walk.take(shapeB.length + 1, 3)   // + 1: out.strides is copied whole
                    .operand(0, batchA, ap.strides, batch, ap.offset).hold(0, batch.length)
                    .operand(1, batchB, bp.strides, batch, bp.offset).hold(1, batch.length)
                    .operand(2, out.strides, 0).hold(2, batch.length)
                    .start(shapeB);
            try {
                int ia = w.inner(0), ib = w.inner(1), io = w.inner(2), len = w.innerLength();
                while (w.next()) {
                    for (int r = 0; r < len; r++) {
                        gemm(ta, tb, m, n, k, ap, w.at(0) + r * ia, lda, bp, w.at(1) + r * ib, ldb, out, w.at(2) + r * io, n);
                    }
                }
            } finally {
                w.release();
            }
        }
        if (!Function.needsGrad(a, b)) return out;
        MatMul node = out.spareNode(MatMul.class, MatMul::new);
        node.inputs[0] = node.a = a;
        node.inputs[1] = node.b = b;
        return Function.record(out, node);
    }

    private static void gemm(boolean ta, boolean tb, int m, int n, int k, Tensor a, int ao, int lda, Tensor b, int bo, int ldb,
                             Tensor c, int co, int ldc) {
        if (a.f != null) Gemm.gemm(ta, tb, m, n, k, a.f, ao, lda, b.f, bo, ldb, c.f, co, ldc, false);
        else ScalarKernels.gemm(ta, tb, m, n, k, Buf.of(a.d), ao, lda, Buf.of(b.d), bo, ldb, Buf.of(c.d), co, ldc, false);
    }

    /** The operand itself when its last two dims are row-major or a transposed row-major; else a copy. */
    private static Tensor asMatrix(Tensor t) {
        int r = t.rank();
        int rows = t.shape[r - 2], cols = t.shape[r - 1];
        boolean rowMajor = (t.strides[r - 1] == 1 || cols == 1) && t.strides[r - 2] >= cols;
        boolean colMajor = (t.strides[r - 2] == 1 || rows == 1) && t.strides[r - 1] >= rows;
        return rowMajor || colMajor ? t : Movement.copy(t, false);   // untracked: the node keeps the operand
    }

    private static boolean transposed(Tensor t) {
        int r = t.rank();
        int cols = t.shape[r - 1];
        return !((t.strides[r - 1] == 1 || cols == 1) && t.strides[r - 2] >= cols);
    }

    @Override
    protected Tensor[] backward(Tensor dOut) {
        // A refilled node usually sees the same operand tensors (a parameter, a recycled activation) every step, so the
        // transposed views (headers over their storage) are kept instead of made per step. Made outside the step's
        // arena: a view it lent would go back to its stack at the step's end and could be lent to another op as well.
        if (wants(0) && bTOf != b) {
            Tensor bIn = b;
            bT = StepArena.outside(() -> bIn.transpose(-1, -2));
            bTOf = b;
        }
        if (wants(1) && aTOf != a) {
            Tensor aIn = a;
            aT = StepArena.outside(() -> aIn.transpose(-1, -2));
            aTOf = a;
        }
        grads[0] = wants(0) ? BinaryOp.unbroadcast(dOut.matmul(bT), a.shape) : null;  // dA = dC · Bᵀ
        grads[1] = wants(1) ? BinaryOp.unbroadcast(aT.matmul(dOut), b.shape) : null;  // dB = Aᵀ · dC
        return grads;
    }
}
