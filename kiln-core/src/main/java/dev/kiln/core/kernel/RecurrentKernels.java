package dev.kiln.core.kernel;

/**
 * A whole LSTM (and GRU, below) sequence (Hochreiter &amp; Schmidhuber 1997; gates i, f, c̃, o as Keras) in float32: the forward
 * loop and its backpropagation through time in one pass each. Per step the only matrix work is one
 * {@link Gemm} with the recurrent kernel; gate math is one fused loop over (B, 4U) with no temporaries.
 * The scalar twin (the float64 path and the contract reference) is {@link ScalarRecurrent}.
 *
 * <p>Layouts, all row-major: {@code proj} (T, B, 4U) input projections with bias; {@code r} (U, 4U);
 * {@code h0}, {@code c0} (B, U); {@code keep} (T, B) or null, 0 = padded step (state carried over unchanged);
 * {@code out} (T, B, 2U): h in columns [0, U), c in [U, 2U); {@code gates} (T, B, 4U) the activated gates
 * (zero on padded rows), saved for backward. Threads: gate loops split rows over {@link Parallel}; each element is computed by the
 * same expression whatever the split, so results do not depend on the thread count.
 */
public final class RecurrentKernels {
    private RecurrentKernels() {}

    /** The two-sided stable sigmoid of {@code UnaryKind.SIGMOID}, bit for bit, with one exp instead of two for x < 0. */
    static float sigmoid(float x) {
        double e = Math.exp(-Math.abs((double) x));
        return (float) (x >= 0 ? 1 / (1 + e) : e / (1 + e));
    }

    /** Fills {@code out} and {@code gates}; see the class comment for the layouts. */
    public static void lstmForward(int t, int b, int u, float[] proj, int po, float[] r, int ro, float[] h0, int ho, float[] c0, int co,
                                   float[] keep, float[] out, float[] gates) {
        int g4 = 4 * u, o2 = 2 * u;
        for (int s = 0; s < t; s++) {
            int gz = s * b * g4;
            System.arraycopy(proj, po + gz, gates, gz, b * g4);
            // z += h_{s-1} · R: h_{s-1} is h0 or the h columns of the previous step of out (row stride 2U)
            if (s == 0) Gemm.gemm(false, false, b, g4, u, h0, ho, u, r, ro, g4, gates, gz, g4, true);
            else Gemm.gemm(false, false, b, g4, u, out, (s - 1) * b * o2, o2, r, ro, g4, gates, gz, g4, true);
            final int step = s;
            Parallel.forRange(b, Math.max(1, 4096 / g4), (b0, b1) -> {
                for (int row = b0; row < b1; row++) {
                    int z = (step * b + row) * g4, oo = (step * b + row) * o2;
                    int hp = step == 0 ? ho + row * u : (oo - b * o2);   // previous h (c follows at +U in out)
                    float[] hs = step == 0 ? h0 : out;
                    float[] cs = step == 0 ? c0 : out;
                    int cp = step == 0 ? co + row * u : hp + u;
                    if (keep != null && keep[step * b + row] == 0) {
                        for (int j = 0; j < u; j++) {
                            out[oo + j] = hs[hp + j];
                            out[oo + u + j] = cs[cp + j];
                        }
                        java.util.Arrays.fill(gates, z, z + g4, 0f);   // padded: no gates (as the scalar twin)
                        continue;
                    }
                    for (int j = 0; j < u; j++) {
                        float i = sigmoid(gates[z + j]);
                        float f = sigmoid(gates[z + u + j]);
                        float g = (float) Math.tanh(gates[z + 2 * u + j]);
                        float o = sigmoid(gates[z + 3 * u + j]);
                        float c = f * cs[cp + j] + i * g;
                        gates[z + j] = i;
                        gates[z + u + j] = f;
                        gates[z + 2 * u + j] = g;
                        gates[z + 3 * u + j] = o;
                        out[oo + u + j] = c;
                        out[oo + j] = o * (float) Math.tanh(c);
                    }
                }
            });
        }
    }

    /**
     * Backpropagation through time: from {@code dOut} (T, B, 2U), the gradient of {@code out}, fills
     * {@code dProj} (T, B, 4U), {@code dR} (U, 4U), {@code dh0} and {@code dc0} (B, U), all overwritten.
     * {@code out} and {@code gates} are what {@link #lstmForward} left.
     */
    public static void lstmBackward(int t, int b, int u, float[] r, int ro, float[] h0, int ho, float[] c0, int co, float[] keep,
                                    float[] out, float[] gates, float[] dOut, float[] dProj, float[] dR, float[] dh0, float[] dc0) {
        int g4 = 4 * u, o2 = 2 * u;
        float[] rt = new float[g4 * u];   // Rᵀ (4U, U), once, so each step's dh = dz · Rᵀ reads rows contiguously
        for (int p = 0; p < u; p++) for (int q = 0; q < g4; q++) rt[q * u + p] = r[ro + p * g4 + q];
        float[] dh = dh0, dc = dc0;       // carried gradients of h_s and c_s from the later steps
        java.util.Arrays.fill(dh, 0, b * u, 0f);
        java.util.Arrays.fill(dc, 0, b * u, 0f);
        float[] dhTotal = new float[b * u];
        for (int s = t - 1; s >= 0; s--) {
            final int step = s;
            Parallel.forRange(b, Math.max(1, 4096 / g4), (b0, b1) -> {
                for (int row = b0; row < b1; row++) {
                    int z = (step * b + row) * g4, oo = (step * b + row) * o2, bu = row * u;
                    boolean skip = keep != null && keep[step * b + row] == 0;
                    float[] cs = step == 0 ? c0 : out;
                    int cp = step == 0 ? co + bu : oo - b * o2 + u;
                    for (int j = 0; j < u; j++) {
                        float dht = dh[bu + j] + dOut[oo + j];
                        float dct = dc[bu + j] + dOut[oo + u + j];
                        dhTotal[bu + j] = dht;
                        if (skip) {
                            dc[bu + j] = dct;
                            continue;
                        }
                        float i = gates[z + j], f = gates[z + u + j], g = gates[z + 2 * u + j], o = gates[z + 3 * u + j];
                        float tc = (float) Math.tanh(out[oo + u + j]);
                        float dcc = dct + dht * o * (1 - tc * tc);
                        dProj[z + j] = dcc * g * i * (1 - i);
                        dProj[z + u + j] = dcc * cs[cp + j] * f * (1 - f);
                        dProj[z + 2 * u + j] = dcc * i * (1 - g * g);
                        dProj[z + 3 * u + j] = dht * tc * o * (1 - o);
                        dc[bu + j] = dcc * f;
                    }
                    if (skip) java.util.Arrays.fill(dProj, z, z + g4, 0f);
                }
            });
            Gemm.gemm(false, false, b, u, g4, dProj, s * b * g4, g4, rt, 0, u, dh, 0, u, false);   // dh_{s-1} = dz · Rᵀ
            if (keep != null) {
                for (int row = 0; row < b; row++) {
                    if (keep[s * b + row] == 0) System.arraycopy(dhTotal, row * u, dh, row * u, u);   // padded: passes through
                }
            }
        }
        // dR = Σ_s h_{s-1}ᵀ · dz_s: one GEMM over steps 1..T-1 (h columns of out), one for h0
        if (t > 1) Gemm.gemm(true, false, u, g4, (t - 1) * b, out, 0, o2, dProj, b * g4, g4, dR, 0, g4, false);
        Gemm.gemm(true, false, u, g4, b, h0, ho, u, dProj, 0, g4, dR, 0, g4, t > 1);
    }

    /**
     * A whole GRU sequence (Cho et al. 2014; Keras's reset_after form, gates z, r, h̃):
     * hr = h·R + rb, z = σ(p_z + hr_z), r = σ(p_r + hr_r), h̃ = tanh(p_h + r ⊙ hr_h), h' = h̃ + z ⊙ (h − h̃).
     * {@code proj} (T, B, 3U), {@code r} (U, 3U), {@code rb} (3U), {@code h0} (B, U), {@code keep} as for the
     * LSTM; fills {@code out} (T, B, U) and {@code gates} (T, B, 4U): z, r, h̃ and hr_h (zero on padded rows).
     */
    public static void gruForward(int t, int b, int u, float[] proj, int po, float[] r, int ro, float[] rb, int rbo, float[] h0, int ho,
                                  float[] keep, float[] out, float[] gates) {
        int g3 = 3 * u, g4 = 4 * u;
        float[] hr = new float[b * g3];   // h·R + rb of one step
        for (int s = 0; s < t; s++) {
            for (int row = 0; row < b; row++) System.arraycopy(rb, rbo, hr, row * g3, g3);
            if (s == 0) Gemm.gemm(false, false, b, g3, u, h0, ho, u, r, ro, g3, hr, 0, g3, true);
            else Gemm.gemm(false, false, b, g3, u, out, (s - 1) * b * u, u, r, ro, g3, hr, 0, g3, true);
            final int step = s;
            Parallel.forRange(b, Math.max(1, 4096 / g3), (b0, b1) -> {
                for (int row = b0; row < b1; row++) {
                    int p = po + (step * b + row) * g3, q = row * g3, z = (step * b + row) * g4, oo = (step * b + row) * u;
                    float[] hs = step == 0 ? h0 : out;
                    int hp = step == 0 ? ho + row * u : oo - b * u;
                    if (keep != null && keep[step * b + row] == 0) {
                        System.arraycopy(hs, hp, out, oo, u);
                        java.util.Arrays.fill(gates, z, z + g4, 0f);
                        continue;
                    }
                    for (int j = 0; j < u; j++) {
                        float zg = sigmoid(proj[p + j] + hr[q + j]);
                        float rg = sigmoid(proj[p + u + j] + hr[q + u + j]);
                        float hrh = hr[q + 2 * u + j];
                        float n = (float) Math.tanh(proj[p + 2 * u + j] + rg * hrh);
                        gates[z + j] = zg;
                        gates[z + u + j] = rg;
                        gates[z + 2 * u + j] = n;
                        gates[z + 3 * u + j] = hrh;
                        out[oo + j] = n + zg * (hs[hp + j] - n);
                    }
                }
            });
        }
    }

    /**
     * The GRU's backpropagation through time: from {@code dOut} (T, B, U) fills {@code dProj} (T, B, 3U),
     * {@code dR} (U, 3U), {@code dRb} (3U) and {@code dh0} (B, U), all overwritten.
     */
    public static void gruBackward(int t, int b, int u, float[] r, int ro, float[] h0, int ho, float[] keep, float[] out, float[] gates,
                                   float[] dOut, float[] dProj, float[] dR, float[] dRb, float[] dh0) {
        int g3 = 3 * u, g4 = 4 * u;
        float[] rt = new float[g3 * u];   // Rᵀ (3U, U)
        for (int p = 0; p < u; p++) for (int q = 0; q < g3; q++) rt[q * u + p] = r[ro + p * g3 + q];
        float[] dHr = new float[t * b * g3];   // gradient of h·R + rb at every step
        float[] dh = dh0, direct = new float[b * u];
        java.util.Arrays.fill(dh, 0, b * u, 0f);
        for (int s = t - 1; s >= 0; s--) {
            final int step = s;
            Parallel.forRange(b, Math.max(1, 4096 / g3), (b0, b1) -> {
                for (int row = b0; row < b1; row++) {
                    int p = (step * b + row) * g3, z = (step * b + row) * g4, oo = (step * b + row) * u, bu = row * u;
                    float[] hs = step == 0 ? h0 : out;
                    int hp = step == 0 ? ho + bu : oo - b * u;
                    if (keep != null && keep[step * b + row] == 0) {
                        for (int j = 0; j < u; j++) direct[bu + j] = dh[bu + j] + dOut[oo + j];   // passes through
                        java.util.Arrays.fill(dProj, p, p + g3, 0f);
                        continue;   // the dHr row stays zero
                    }
                    for (int j = 0; j < u; j++) {
                        float dht = dh[bu + j] + dOut[oo + j];
                        float zg = gates[z + j], rg = gates[z + u + j], n = gates[z + 2 * u + j], hrh = gates[z + 3 * u + j];
                        float dan = dht * (1 - zg) * (1 - n * n);
                        float daz = dht * (hs[hp + j] - n) * zg * (1 - zg);
                        float dar = dan * hrh * rg * (1 - rg);
                        dProj[p + j] = daz;
                        dProj[p + u + j] = dar;
                        dProj[p + 2 * u + j] = dan;
                        dHr[p + j] = daz;
                        dHr[p + u + j] = dar;
                        dHr[p + 2 * u + j] = dan * rg;
                        direct[bu + j] = dht * zg;
                    }
                }
            });
            Gemm.gemm(false, false, b, u, g3, dHr, s * b * g3, g3, rt, 0, u, dh, 0, u, false);   // dh_{s-1} = dHr · Rᵀ + direct
            for (int i = 0; i < b * u; i++) dh[i] += direct[i];
        }
        if (t > 1) Gemm.gemm(true, false, u, g3, (t - 1) * b, out, 0, u, dHr, b * g3, g3, dR, 0, g3, false);
        Gemm.gemm(true, false, u, g3, b, h0, ho, u, dHr, 0, g3, dR, 0, g3, t > 1);
        java.util.Arrays.fill(dRb, 0, g3, 0f);
        for (int i = 0; i < t * b; i++) for (int q = 0; q < g3; q++) dRb[q] += dHr[i * g3 + q];
    }
}
