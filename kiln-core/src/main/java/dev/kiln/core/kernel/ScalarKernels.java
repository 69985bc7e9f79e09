package dev.kiln.core.kernel;

/**
 * Plain scalar reference kernels over {@link Buf}: the float64 implementation of each op and the twin
 * every fast kernel is tested against. Strides are element strides; a stride of 0 broadcasts.
 */
public final class ScalarKernels {
    private ScalarKernels() {}

    public static void unary(UnaryKind k, Buf x, int xo, int sx, Buf y, int yo, int sy, int n) {
        for (int i = 0; i < n; i++) y.set(yo + i * sy, k.apply(x.get(xo + i * sx)));
    }

    public static void binary(BinaryKind k, Buf a, int ao, int sa, Buf b, int bo, int sb, Buf out, int oo, int so, int n) {
        for (int i = 0; i < n; i++) out.set(oo + i * so, k.apply(a.get(ao + i * sa), b.get(bo + i * sb)));
    }

    /** out[oo + i*so] += x[xo + i*sx] (so == 0 sums the row into one element). */
    public static void sumInto(Buf x, int xo, int sx, Buf out, int oo, int so, int n) {
        if (so == 0) {
            double acc = out.get(oo);
            for (int i = 0; i < n; i++) acc += x.get(xo + i * sx);
            out.set(oo, acc);
        } else {
            for (int i = 0; i < n; i++) out.set(oo + i * so, out.get(oo + i * so) + x.get(xo + i * sx));
        }
    }

    /** out[oo + i*so] = max(out[..], x[xo + i*sx]). */
    public static void maxInto(Buf x, int xo, int sx, Buf out, int oo, int so, int n) {
        for (int i = 0; i < n; i++) {
            double v = x.get(xo + i * sx);
            int p = oo + i * so;
            if (v > out.get(p) || Double.isNaN(v)) out.set(p, v);
        }
    }

    /**
     * C = op(A)·op(B) (+ C when {@code accumulate}), row-major. op(A) is M×K: A is stored M×K (lda) or,
     * when {@code ta}, K×M. op(B) is K×N: B is stored K×N (ldb) or, when {@code tb}, N×K.
     */
    public static void gemm(boolean ta, boolean tb, int m, int n, int k,
                            Buf a, int ao, int lda, Buf b, int bo, int ldb,
                            Buf c, int co, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = accumulate ? c.get(co + i * ldc + j) : 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a.get(ao + p * lda + i) : a.get(ao + i * lda + p);
                    double bv = tb ? b.get(bo + j * ldb + p) : b.get(bo + p * ldb + j);
                    acc += av * bv;
                }
                c.set(co + i * ldc + j, acc);
            }
        }
    }
}
