package dev.kiln.core;

import dev.kiln.core.kernel.Buf;
import dev.kiln.core.kernel.Gemm;
import dev.kiln.core.kernel.ScalarKernels;

/**
 * Batched matrix product (..., M, K) · (..., K, N) → (..., M, N), batch dimensions broadcast. Transposed
 * views are handed to the kernel as transposed operands rather than copied.
 */
final class MatMul extends Function {
    private final Tensor a;
    private final Tensor b;

    private MatMul(Tensor a, Tensor b) {
        super(a, b);
        this.a = a;
        this.b = b;
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
        int[] batchA = java.util.Arrays.copyOf(a.shape, a.rank() - 2);
        int[] batchB = java.util.Arrays.copyOf(b.shape, b.rank() - 2);
        int[] batch = Shape.broadcast(batchA, batchB);
        int[] shape = java.util.Arrays.copyOf(batch, batch.length + 2);
        shape[batch.length] = m;
        shape[batch.length + 1] = n;
        Tensor out = Tensor.fresh(a.dtype, shape);
        Tensor ap = asMatrix(a), bp = asMatrix(b);
        boolean ta = transposed(ap), tb = transposed(bp);
        int lda = ta ? ap.strides[ap.rank() - 1] : ap.strides[ap.rank() - 2];
        int ldb = tb ? bp.strides[bp.rank() - 1] : bp.strides[bp.rank() - 2];
        if (batch.length == 0) {
            gemm(ta, tb, m, n, k, ap, ap.offset, lda, bp, bp.offset, ldb, out, 0, n);
        } else {
            // One gemm per batch element: iterate the batch dims with a trailing unit "row" (a reused walk, no lambda).
            int[] shapeB = java.util.Arrays.copyOf(batch, batch.length + 1);
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
        return Function.needsGrad(a, b) ? Function.record(out, new MatMul(a, b)) : out;
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
        return rowMajor || colMajor ? t : t.detach().contiguous();
    }

    private static boolean transposed(Tensor t) {
        int r = t.rank();
        int cols = t.shape[r - 1];
        return !((t.strides[r - 1] == 1 || cols == 1) && t.strides[r - 2] >= cols);
    }

    @Override
    protected Tensor[] backward(Tensor dOut) {
        Tensor dA = wants(0) ? BinaryOp.unbroadcast(dOut.matmul(b.transpose(-1, -2)), a.shape) : null;  // dA = dC · Bᵀ
        Tensor dB = wants(1) ? BinaryOp.unbroadcast(a.transpose(-1, -2).matmul(dOut), b.shape) : null;  // dB = Aᵀ · dC
        return new Tensor[] {dA, dB};
    }
}
