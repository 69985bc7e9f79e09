package dev.kiln.core.kernel;

/**
 * Plain scalar twin of {@link AttentionKernels} over {@link Buf}, in double arithmetic: the float64
 * implementation gradient checks run and the reference the fast kernel is tested against.
 *
 * <p>Layout: queries q (B, Tq, H·dk) with rows {@code ldq} apart, keys k and values v (B, Tk, H·dk) with rows
 * {@code ldkv} apart (so q, k and v may be column blocks of one packed (B, T, 3·H·dk) projection), head
 * {@code hh} in columns [hh·dk, (hh+1)·dk) (the projections as they come, no permute); weights p (B, H, Tq, Tk);
 * output and dOut (B, Tq, H·dk) contiguous; dq, dk and dv laid out like q, k and v. Query i may attend to key j when
 * {@code !causal || j <= i + (Tk − Tq)} (the queries are the last Tq positions, as when decoding after a cache)
 * and, with a key mask {@code keep} (B, Tk), {@code keep[b, j] != 0}. A row with no allowed key gets uniform
 * weights 1/Tk (what an additive −1e9 mask gives in float) and, being constant, passes back no gradient.
 */
public final class ScalarAttention {
    private ScalarAttention() {}

    /** {@code p = softmax(scale·q·kᵀ)} over the allowed keys (zero elsewhere), {@code out = p·v}, per batch and head. */
    public static void forward(int b, int h, int tq, int tk, int dk, boolean causal, double scale, Buf keep, int mo, int ldq, int ldkv,
                               Buf q, int qo, Buf k, int ko, Buf v, int vo, Buf p, int po, Buf out, int oo) {
        int hd = h * dk;
        double[] s = new double[tk];
        for (int bb = 0; bb < b; bb++) {
            for (int hh = 0; hh < h; hh++) {
                for (int i = 0; i < tq; i++) {
                    int qi = qo + (bb * tq + i) * ldq + hh * dk, pr = po + ((bb * h + hh) * tq + i) * tk;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tk; j++) {
                        s[j] = Double.NEGATIVE_INFINITY;
                        if (!allowed(causal, tq, tk, i, j, keep, mo + bb * tk)) continue;
                        int kj = ko + (bb * tk + j) * ldkv + hh * dk;
                        double dot = 0;
                        for (int d = 0; d < dk; d++) dot += q.get(qi + d) * k.get(kj + d);
                        s[j] = scale * dot;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < tk; j++) {
                        s[j] = max == Double.NEGATIVE_INFINITY ? 1 : s[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j < tk; j++) p.set(pr + j, s[j] / sum);
                    int oi = oo + (bb * tq + i) * hd + hh * dk;
                    for (int d = 0; d < dk; d++) {
                        double acc = 0;
                        for (int j = 0; j < tk; j++) acc += p.get(pr + j) * v.get(vo + (bb * tk + j) * ldkv + hh * dk + d);
                        out.set(oi + d, acc);
                    }
                }
            }
        }
    }

    /**
     * With dP = dOut·vᵀ and dS = scale·p ⊙ (dP − Σ_j p⊙dP) (zero for an all-masked row): dq = dS·k, dk = dSᵀ·q,
     * dv = pᵀ·dOut. dq, dk and dv are overwritten.
     */
    public static void backward(int b, int h, int tq, int tk, int dk, boolean causal, double scale, Buf keep, int mo, int ldq, int ldkv,
                                Buf q, int qo, Buf k, int ko, Buf v, int vo, Buf p, int po, Buf dOut, int go,
                                Buf dq, int dqo, Buf dkBuf, int dko, Buf dv, int dvo) {
        int hd = h * dk;
        for (int r = 0; r < b * tq; r++) for (int c = 0; c < hd; c++) dq.set(dqo + r * ldq + c, 0);
        for (int r = 0; r < b * tk; r++) {
            for (int c = 0; c < hd; c++) {
                dkBuf.set(dko + r * ldkv + c, 0);
                dv.set(dvo + r * ldkv + c, 0);
            }
        }
        double[] ds = new double[tk];
        for (int bb = 0; bb < b; bb++) {
            for (int hh = 0; hh < h; hh++) {
                for (int i = 0; i < tq; i++) {
                    int qrow = (bb * tq + i) * ldq + hh * dk, grow = go + (bb * tq + i) * hd + hh * dk, pr = po + ((bb * h + hh) * tq + i) * tk;
                    boolean dead = true;
                    for (int j = 0; j < tk; j++) dead &= !allowed(causal, tq, tk, i, j, keep, mo + bb * tk);
                    double dot = 0;
                    for (int j = 0; j < tk; j++) {
                        int col = (bb * tk + j) * ldkv + hh * dk;
                        double dp = 0;
                        for (int d = 0; d < dk; d++) dp += dOut.get(grow + d) * v.get(vo + col + d);
                        ds[j] = dp;
                        dot += p.get(pr + j) * dp;
                    }
                    for (int j = 0; j < tk; j++) {
                        int col = (bb * tk + j) * ldkv + hh * dk;
                        double pij = p.get(pr + j), g = dead ? 0 : scale * pij * (ds[j] - dot);
                        for (int d = 0; d < dk; d++) {
                            dq.set(dqo + qrow + d, dq.get(dqo + qrow + d) + g * k.get(ko + col + d));
                            dkBuf.set(dko + col + d, dkBuf.get(dko + col + d) + g * q.get(qo + qrow + d));
                            dv.set(dvo + col + d, dv.get(dvo + col + d) + pij * dOut.get(grow + d));
                        }
                    }
                }
            }
        }
    }

    static boolean allowed(boolean causal, int tq, int tk, int i, int j, Buf keep, int mb) {
        return (!causal || j <= i + tk - tq) && (keep == null || keep.get(mb + j) != 0);
    }

    /** Whether no key below {@code lim} is kept (the fast kernel's test for a dead row). */
    static boolean fullyMasked(float[] keep, int mb, int lim) {
        for (int j = 0; j < lim; j++) if (keep[mb + j] != 0) return false;
        return true;
    }
}
