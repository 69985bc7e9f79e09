package dev.kiln.core.kernel;

/**
 * The plain twin of {@link RecurrentKernels}: the same LSTM and GRU sequences forward and backward, element by element
 * over {@link Buf}, matrix products as plain loops. It is the float64 implementation (gradient checks) and the
 * reference the fast kernels are tested against. Same inputs and outputs as {@link RecurrentKernels}; what the LSTM
 * saves between forward and backward differs (the full (T, B, 2U) output here, the kernel's stacked [h | x | 1] rows
 * there), so the twin test compares results, not saved buffers.
 */
public final class ScalarRecurrent {
    private ScalarRecurrent() {}

    private static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /**
     * The twin of {@link RecurrentKernels#lstmForward}, from the same inputs: x (B, T, F), W (F, 4U), bias (4U),
     * R (U, 4U), h0 and c0 (B, U). Fills {@code seq} (T, B, 2U), h | c of every step, and {@code gates}
     * (T, B, 4U), the activated gates (zero on padded rows), which {@link #lstmBackward} reads.
     */
    public static void lstmForward(int t, int b, int f, int u, Buf x, int xo, Buf w, int wo, Buf bias, int bo, Buf r, int ro,
                                   Buf h0, int ho, Buf c0, int co, float[] keep, Buf seq, Buf gates) {
        int g4 = 4 * u, o2 = 2 * u;
        for (int s = 0; s < t; s++) {
            for (int row = 0; row < b; row++) {
                int z = (s * b + row) * g4, oo = (s * b + row) * o2, xr = xo + (row * t + s) * f;
                Buf hs = s == 0 ? h0 : seq, cs = s == 0 ? c0 : seq;
                int hp = s == 0 ? ho + row * u : oo - b * o2, cp = s == 0 ? co + row * u : hp + u;
                if (keep != null && keep[s * b + row] == 0) {
                    for (int j = 0; j < u; j++) {
                        seq.set(oo + j, hs.get(hp + j));
                        seq.set(oo + u + j, cs.get(cp + j));
                    }
                    for (int q = 0; q < g4; q++) gates.set(z + q, 0);
                    continue;
                }
                for (int q = 0; q < g4; q++) {
                    double acc = bias.get(bo + q);
                    for (int p = 0; p < f; p++) acc += x.get(xr + p) * w.get(wo + p * g4 + q);
                    for (int p = 0; p < u; p++) acc += hs.get(hp + p) * r.get(ro + p * g4 + q);
                    gates.set(z + q, acc);
                }
                for (int j = 0; j < u; j++) {
                    double i = sigmoid(gates.get(z + j));
                    double fg = sigmoid(gates.get(z + u + j));
                    double g = Math.tanh(gates.get(z + 2 * u + j));
                    double o = sigmoid(gates.get(z + 3 * u + j));
                    double c = fg * cs.get(cp + j) + i * g;
                    gates.set(z + j, i);
                    gates.set(z + u + j, fg);
                    gates.set(z + 2 * u + j, g);
                    gates.set(z + 3 * u + j, o);
                    seq.set(oo + u + j, c);
                    seq.set(oo + j, o * Math.tanh(c));
                }
            }
        }
    }

    /**
     * The twin of {@link RecurrentKernels#lstmBackward}: from what {@link #lstmForward} left in {@code seq} and
     * {@code gates} (read only) and the output gradients {@code dSeq} (T, B, 2U) and/or {@code dLast} (B, 2U), the
     * gradient of the final h | c (either may be null), fills dx (B, T, F), dW (F, 4U), dBias (4U), dR (U, 4U),
     * dh0 and dc0 (B, U), all overwritten.
     */
    public static void lstmBackward(int t, int b, int f, int u, Buf x, int xo, Buf w, int wo, Buf r, int ro, Buf h0, int ho, Buf c0, int co,
                                    float[] keep, Buf seq, Buf gates, Buf dSeq, Buf dLast,
                                    Buf dx, Buf dW, Buf dBias, Buf dR, Buf dh0, Buf dc0) {
        int g4 = 4 * u, o2 = 2 * u;
        double[] dh = new double[b * u], dc = new double[b * u], dz = new double[g4];
        if (dLast != null) {
            for (int row = 0; row < b; row++) {
                for (int j = 0; j < u; j++) {
                    dh[row * u + j] = dLast.get(row * o2 + j);
                    dc[row * u + j] = dLast.get(row * o2 + u + j);
                }
            }
        }
        for (int q = 0; q < u * g4; q++) dR.set(q, 0);
        for (int q = 0; q < f * g4; q++) dW.set(q, 0);
        for (int q = 0; q < g4; q++) dBias.set(q, 0);
        for (int s = t - 1; s >= 0; s--) {
            double[] dhPrev = new double[b * u];
            for (int row = 0; row < b; row++) {
                int z = (s * b + row) * g4, oo = (s * b + row) * o2, bu = row * u, xr = xo + (row * t + s) * f;
                Buf hs = s == 0 ? h0 : seq, cs = s == 0 ? c0 : seq;
                int hp = s == 0 ? ho + bu : oo - b * o2, cp = s == 0 ? co + bu : hp + u;
                boolean skip = keep != null && keep[s * b + row] == 0;
                for (int j = 0; j < u; j++) {
                    double dht = dh[bu + j] + (dSeq == null ? 0 : dSeq.get(oo + j));
                    double dct = dc[bu + j] + (dSeq == null ? 0 : dSeq.get(oo + u + j));
                    if (skip) {
                        dhPrev[bu + j] = dht;
                        dc[bu + j] = dct;
                        continue;
                    }
                    double i = gates.get(z + j), fg = gates.get(z + u + j), g = gates.get(z + 2 * u + j), o = gates.get(z + 3 * u + j);
                    double tc = Math.tanh(seq.get(oo + u + j));
                    double dcc = dct + dht * o * (1 - tc * tc);
                    dz[j] = dcc * g * i * (1 - i);
                    dz[u + j] = dcc * cs.get(cp + j) * fg * (1 - fg);
                    dz[2 * u + j] = dcc * i * (1 - g * g);
                    dz[3 * u + j] = dht * tc * o * (1 - o);
                    dc[bu + j] = dcc * fg;
                }
                if (skip) {
                    for (int p = 0; p < f; p++) dx.set((row * t + s) * f + p, 0);
                    continue;
                }
                for (int p = 0; p < u; p++) {
                    double acc = 0;
                    for (int q = 0; q < g4; q++) {
                        acc += dz[q] * r.get(ro + p * g4 + q);
                        dR.set(p * g4 + q, dR.get(p * g4 + q) + hs.get(hp + p) * dz[q]);
                    }
                    dhPrev[bu + p] = acc;
                }
                for (int p = 0; p < f; p++) {
                    double acc = 0;
                    for (int q = 0; q < g4; q++) {
                        acc += dz[q] * w.get(wo + p * g4 + q);
                        dW.set(p * g4 + q, dW.get(p * g4 + q) + x.get(xr + p) * dz[q]);
                    }
                    dx.set((row * t + s) * f + p, acc);
                }
                for (int q = 0; q < g4; q++) dBias.set(q, dBias.get(q) + dz[q]);
            }
            dh = dhPrev;
        }
        for (int q = 0; q < b * u; q++) {
            dh0.set(q, dh[q]);
            dc0.set(q, dc[q]);
        }
    }

    /** The twin of {@link RecurrentKernels#gruForward}. */
    public static void gruForward(int t, int b, int u, Buf proj, int po, Buf r, int ro, Buf rb, int rbo, Buf h0, int ho,
                                  float[] keep, Buf out, Buf gates) {
        int g3 = 3 * u, g4 = 4 * u;
        double[] hr = new double[g3];
        for (int s = 0; s < t; s++) {
            for (int row = 0; row < b; row++) {
                int p = po + (s * b + row) * g3, z = (s * b + row) * g4, oo = (s * b + row) * u;
                Buf hs = s == 0 ? h0 : out;
                int hp = s == 0 ? ho + row * u : oo - b * u;
                if (keep != null && keep[s * b + row] == 0) {
                    for (int j = 0; j < u; j++) out.set(oo + j, hs.get(hp + j));
                    for (int q = 0; q < g4; q++) gates.set(z + q, 0);
                    continue;
                }
                for (int q = 0; q < g3; q++) {
                    double acc = rb.get(rbo + q);
                    for (int k = 0; k < u; k++) acc += hs.get(hp + k) * r.get(ro + k * g3 + q);
                    hr[q] = acc;
                }
                for (int j = 0; j < u; j++) {
                    double zg = sigmoid(proj.get(p + j) + hr[j]);
                    double rg = sigmoid(proj.get(p + u + j) + hr[u + j]);
                    double n = Math.tanh(proj.get(p + 2 * u + j) + rg * hr[2 * u + j]);
                    gates.set(z + j, zg);
                    gates.set(z + u + j, rg);
                    gates.set(z + 2 * u + j, n);
                    gates.set(z + 3 * u + j, hr[2 * u + j]);
                    out.set(oo + j, n + zg * (hs.get(hp + j) - n));
                }
            }
        }
    }

    /** The twin of {@link RecurrentKernels#gruBackward}. */
    public static void gruBackward(int t, int b, int u, Buf r, int ro, Buf h0, int ho, float[] keep, Buf out, Buf gates,
                                   Buf dOut, Buf dProj, Buf dR, Buf dRb, Buf dh0) {
        int g3 = 3 * u, g4 = 4 * u;
        double[] dh = new double[b * u], dHr = new double[g3];
        for (int q = 0; q < u * g3; q++) dR.set(q, 0);
        for (int q = 0; q < g3; q++) dRb.set(q, 0);
        for (int s = t - 1; s >= 0; s--) {
            double[] dhPrev = new double[b * u];
            for (int row = 0; row < b; row++) {
                int p = (s * b + row) * g3, z = (s * b + row) * g4, oo = (s * b + row) * u, bu = row * u;
                Buf hs = s == 0 ? h0 : out;
                int hp = s == 0 ? ho + bu : oo - b * u;
                if (keep != null && keep[s * b + row] == 0) {
                    for (int j = 0; j < u; j++) dhPrev[bu + j] = dh[bu + j] + dOut.get(oo + j);
                    for (int q = 0; q < g3; q++) dProj.set(p + q, 0);
                    continue;
                }
                for (int j = 0; j < u; j++) {
                    double dht = dh[bu + j] + dOut.get(oo + j);
                    double zg = gates.get(z + j), rg = gates.get(z + u + j), n = gates.get(z + 2 * u + j), hrh = gates.get(z + 3 * u + j);
                    double dan = dht * (1 - zg) * (1 - n * n);
                    double daz = dht * (hs.get(hp + j) - n) * zg * (1 - zg);
                    double dar = dan * hrh * rg * (1 - rg);
                    dProj.set(p + j, daz);
                    dProj.set(p + u + j, dar);
                    dProj.set(p + 2 * u + j, dan);
                    dHr[j] = daz;
                    dHr[u + j] = dar;
                    dHr[2 * u + j] = dan * rg;
                    dhPrev[bu + j] = dht * zg;
                }
                for (int k = 0; k < u; k++) {
                    double acc = 0;
                    for (int q = 0; q < g3; q++) {
                        acc += dHr[q] * r.get(ro + k * g3 + q);
                        dR.set(k * g3 + q, dR.get(k * g3 + q) + hs.get(hp + k) * dHr[q]);
                    }
                    dhPrev[bu + k] += acc;
                }
                for (int q = 0; q < g3; q++) dRb.set(q, dRb.get(q) + dHr[q]);
            }
            dh = dhPrev;
        }
        for (int q = 0; q < b * u; q++) dh0.set(q, dh[q]);
    }
}
