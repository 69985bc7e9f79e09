package dev.kiln.bench;

import dev.kiln.core.Recurrent;
import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.data.Dataset;
import dev.kiln.nn.FitOptions;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.callbacks.Callback;
import dev.kiln.nn.callbacks.TrainingState;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.Lstm;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.util.Locale;
import java.util.Map;

/**
 * The fused LSTM against the per-step composition, on the tutorial's shapes (B=128, T=100, embedding 16,
 * U=128), in training samples/s:
 * <ol>
 *   <li>the recurrence alone, forward + backward: {@link Recurrent#lstm} vs the same cell composed from
 *       primitive ops step by step (what the layer did before);</li>
 *   <li>the whole tutorial model Embedding(10000, 16) → LSTM(128) → Dense(1, sigmoid) trained with Adam on
 *       synthetic ids: the layer's fused path vs its composed path (forced by a negligible input dropout of
 *       1e-9, which the fused path does not take; it adds one multiply).</li>
 * </ol>
 * Arguments: {@code [batch] [timesteps] [steps] [fused]}, defaults 128 100 20; {@code fused} skips the (slow)
 * composed runs.
 */
public final class LstmBench {
    private LstmBench() {}

    public static void main(String[] args) {
        int b = args.length > 0 ? Integer.parseInt(args[0]) : 128;
        int t = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int f = 16, u = 128;
        System.out.printf(Locale.ROOT, "LstmBench B=%d T=%d F=%d U=%d steps=%d threads=%d%n", b, t, f, u, steps, Runtime.getRuntime().availableProcessors());

        Rng rng = new Rng(42);
        Tensor xs = Tensor.uniform(rng, -1, 1, b, t, f).requiresGrad(true);
        Tensor w = Tensor.uniform(rng, -0.3f, 0.3f, f, 4 * u).requiresGrad(true), bias = Tensor.zeros(4 * u).requiresGrad(true);
        Tensor r = Tensor.uniform(rng, -0.1f, 0.1f, u, 4 * u).requiresGrad(true);
        Tensor h0 = Tensor.zeros(b, u), c0 = Tensor.zeros(b, u);
        boolean composedToo = args.length < 4 || !args[3].equals("fused");
        if (composedToo) opLevel("recurrence, composed", b, steps, () -> composed(xs, w, bias, r, h0, c0).sum().backward());
        opLevel("recurrence, fused, all steps", b, steps, () -> Recurrent.lstm(xs, w, bias, r, h0, c0, null, null).slice(2, 0, u).sum().backward());
        Recurrent.Workspace ws = new Recurrent.Workspace();
        opLevel("recurrence, fused, last     ", b, steps, () -> Recurrent.lstmLast(xs, w, bias, r, h0, c0, null, ws).slice(1, 0, u).sum().backward());

        int n = b * (steps + 3);
        float[] x = new float[n * t];
        for (int i = 0; i < x.length; i++) x[i] = 1 + rng.nextInt(9_999);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = rng.nextInt(2);
        Dataset data = new Dataset(x, new int[] {t}, y, 2);
        if (composedToo) model("model, composed LSTM ", data, b, new Lstm(new Lstm.Config(u).withDropout(1e-9, 0)));
        model("model, fused LSTM    ", data, b, new Lstm(u));
    }

    /** The LSTM cell as the layer composed it before the fused op (Keras gate order), all h as (T, B, U). */
    static Tensor composed(Tensor x, Tensor w, Tensor bias, Tensor r, Tensor h, Tensor c) {
        int b = x.shape(0), t = x.shape(1), u = r.shape(0);
        Tensor proj = x.permute(1, 0, 2).reshape(t * b, x.shape(2)).matmul(w).add(bias).reshape(t, b, 4 * u);
        Tensor[] hs = new Tensor[t];
        for (int s = 0; s < t; s++) {
            Tensor z = proj.slice(0, s, s + 1).reshape(b, 4 * u).add(h.matmul(r));
            Tensor i = z.slice(1, 0, u).sigmoid(), fg = z.slice(1, u, 2 * u).sigmoid();
            Tensor g = z.slice(1, 2 * u, 3 * u).tanh(), o = z.slice(1, 3 * u, 4 * u).sigmoid();
            c = fg.mul(c).add(i.mul(g));
            h = o.mul(c.tanh());
            hs[s] = h.reshape(1, b, u);
        }
        return Tensor.concat(0, hs);
    }

    static void opLevel(String what, int b, int steps, Runnable step) {
        for (int i = 0; i < 3; i++) step.run();   // warm-up: JIT
        long t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) step.run();
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%s  %8.1f ms/step  %9.1f samples/s%n", what, 1e3 * s / steps, b * steps / s);
    }

    static void model(String what, Dataset data, int b, Lstm lstm) {
        Sequential model = new Sequential(new Embedding(10_000, 16), lstm, new Dense(1, Activation.SIGMOID));
        model.compile(new Adam(1e-3), Loss.BINARY_CROSSENTROPY);
        int warm = 3;
        long[] start = new long[1];
        int[] timed = new int[1];
        Callback timer = new Callback() {
            @Override
            public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
                if (batch == warm - 1) start[0] = System.nanoTime();
                else if (batch >= warm) timed[0]++;
            }
        };
        model.fit(data, new FitOptions(1, b).withShuffle(false).withSeed(42).withVerbose(false), timer);
        double s = (System.nanoTime() - start[0]) / 1e9;
        System.out.printf(Locale.ROOT, "%s  %8.1f ms/step  %9.1f samples/s (%d timed steps)%n", what, 1e3 * s / timed[0], b * timed[0] / s, timed[0]);
    }
}
