package dev.kiln.core.kernel;

/**
 * Plain scalar twins of {@link TransformerKernels} over {@link Buf}, in double arithmetic with
 * {@link Math#tanh}: the float64 implementation gradient checks run, and the reference the fast kernels
 * are tested against. Arguments mean the same as there.
 */
public final class ScalarTransformer {
    private ScalarTransformer() {}

    /** GPT-2's {@code 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))}. */
    public static void gelu(Buf x, int xo, Buf y, int yo, int n) {
        for (int i = 0; i < n; i++) {
            double v = x.get(xo + i);
            y.set(yo + i, 0.5 * v * (1 + Math.tanh(TransformerKernels.GELU_C * (v + TransformerKernels.GELU_A * v * v * v))));
        }
    }

    /** dx = dy · (0.5(1 + tanh u) + 0.5·x·(1 − tanh²u)·u'). */
    public static void geluBackward(Buf x, int xo, Buf dy, int go, Buf dx, int dxo, int n) {
        double c = TransformerKernels.GELU_C, a = TransformerKernels.GELU_A;
        for (int i = 0; i < n; i++) {
            double v = x.get(xo + i);
            double th = Math.tanh(c * (v + a * v * v * v));
            double du = c * (1 + 3 * a * v * v);
            dx.set(dxo + i, dy.get(go + i) * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * du));
        }
    }

    /** Twin of {@link TransformerKernels#layerNorm}. */
    public static void layerNorm(Buf x, int xo, int rows, int cols, Buf gamma, int gmo, Buf beta, int bo, double eps,
                                 Buf y, int yo, Buf mean, Buf rstd, int so) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols;
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += x.get(xr + j);
            double mu = sum / cols, sq = 0;
            for (int j = 0; j < cols; j++) sq += (x.get(xr + j) - mu) * (x.get(xr + j) - mu);
            double rs = 1 / Math.sqrt(sq / cols + eps);
            mean.set(so + r, mu);
            rstd.set(so + r, rs);
            for (int j = 0; j < cols; j++) y.set(yo + r * cols + j, (x.get(xr + j) - mu) * rs * gamma.get(gmo + j) + beta.get(bo + j));
        }
    }

    /** Twin of {@link TransformerKernels#layerNormBackward}. */
    public static void layerNormBackward(Buf x, int xo, int rows, int cols, Buf gamma, int gmo, Buf mean, Buf rstd, int so,
                                         Buf dy, int go, Buf dx, int dxo, Buf dGamma, int dgo, Buf dBeta, int dbo) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, gr = go + r * cols;
            double mu = mean.get(so + r), rs = rstd.get(so + r), sumG = 0, sumGx = 0;
            for (int j = 0; j < cols; j++) {
                double xh = (x.get(xr + j) - mu) * rs, d = dy.get(gr + j), g = d * gamma.get(gmo + j);
                sumG += g;
                sumGx += g * xh;
                if (dGamma != null) dGamma.set(dgo + j, dGamma.get(dgo + j) + d * xh);
                if (dBeta != null) dBeta.set(dbo + j, dBeta.get(dbo + j) + d);
            }
            if (dx == null) continue;
            double mg = sumG / cols, mgx = sumGx / cols;
            for (int j = 0; j < cols; j++) {
                double xh = (x.get(xr + j) - mu) * rs;
                dx.set(dxo + r * cols + j, (dy.get(gr + j) * gamma.get(gmo + j) - mg - xh * mgx) * rs);
            }
        }
    }
}
