package dev.kiln.bench;

import static dev.kiln.bench.BenchSupport.doubleFlag;
import static dev.kiln.bench.BenchSupport.info;
import static dev.kiln.bench.BenchSupport.intFlag;
import static dev.kiln.bench.BenchSupport.result;

import dev.kiln.core.Rng;
import dev.kiln.core.StepArena;
import dev.kiln.data.text.CharTokenizer;
import dev.kiln.data.text.Corpus;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.optimizers.Adam;
import dev.kiln.nn.optimizers.Optimizer;
import dev.kiln.nn.text.Gpt;
import dev.kiln.nn.text.GptConfig;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The character-level GPT (issue 5, {@code examples/CharGpt.java}) for {@code bench/compare gpt}: 4 layers,
 * 4 heads, d_model 128, context 128, no dropout, AdamW(1e-3, weight decay 0.01) clipped to global norm 1,
 * batch 32 random windows of the shipped corpus (Pride and Prejudice, chapters 1-30), weights initialised as
 * {@code --init} says (GptConfig's default, keras; pytorch starts as the twin does). {@code --warmup} steps
 * untimed, then up to {@code --steps} timed (capped at {@code --max-seconds}); prints training tokens/s and
 * the loss at the first step and after the last (the mean of the last 10 steps' losses too, less noisy). Its
 * twin is {@code bench/torch_gpt.py}; the same number of steps on both sides gives comparable losses.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx512m \
 *     -cp 'kiln-bench/target/kiln-bench-0.1.0-SNAPSHOT.jar:kiln-bench/target/lib/*' \
 *     dev.kiln.bench.GptBench [--batch 32] [--warmup 5] [--steps 60] [--max-seconds 40]
 * </pre>
 */
public final class GptBench {
    private GptBench() {}

    static final String USAGE = """
            usage: GptBench [--batch 32] [--warmup 5] [--steps 60] [--max-seconds 40] [--loss-step 20] [--seed 42] [--init pytorch|keras] [--no-arena]
              --warmup/--steps  untimed, then timed training steps; --max-seconds caps the timed window (the INFO
                                line then says capped=true and the loss is after fewer steps)
              --loss-step       also report the mean loss of steps N-4..N (warm-up steps count), comparable across runs
              --init            how the weights start: pytorch (PyTorch's module defaults, as bench/torch_gpt.py) or
                                keras (Keras's layer defaults); GptConfig's default when left out
              --no-arena        allocate every step afresh instead of recycling its storage in a StepArena""";

    public static void main(String[] args) {
        Map<String, String> f = BenchSupport.flags(args, USAGE, Set.of("--batch", "--warmup", "--steps", "--max-seconds", "--loss-step", "--seed", "--init"), Set.of("--no-arena"));
        int batch = intFlag(f, "--batch", 32), warmup = intFlag(f, "--warmup", 5), steps = intFlag(f, "--steps", 60);
        double maxSeconds = doubleFlag(f, "--max-seconds", 40);
        long seed = intFlag(f, "--seed", 42);
        int lossStep = intFlag(f, "--loss-step", 20);
        BenchSupport.jvmInfo();

        String text = Corpus.load();
        CharTokenizer tokenizer = CharTokenizer.fit(text);
        int[] ids = tokenizer.encode(text);
        GptConfig config = GptConfig.small(tokenizer.vocabularySize());
        if (f.containsKey("--init")) config = config.withInit(f.get("--init"));
        int t = config.contextLength();
        info("step_arena=" + (f.containsKey("--no-arena") ? "off" : "on") + " data=corpus " + Corpus.PRIDE_AND_PREJUDICE + " tokens=" + ids.length + " vocab=" + tokenizer.vocabularySize()
                + " init=" + config.init() + " layers=" + config.numLayers() + " heads=" + config.numHeads() + " d_model=" + config.dModel() + " context=" + t);
        Sequential model = Gpt.build(config, seed);
        Optimizer adamW = Adam.adamW(1e-3, 0.01).clipGlobalNorm(1.0);
        Rng rng = new Rng(seed);
        StepArena arena = f.containsKey("--no-arena") ? null : new StepArena();
        Gpt.Windows windows = new Gpt.Windows(batch, t);

        float first = Float.NaN, last = Float.NaN;
        java.util.List<Float> losses = new java.util.ArrayList<>();
        for (int s = 0; s < warmup; s++) {
            float loss = step(model, adamW, ids, rng, windows, arena);
            losses.add(loss);
            if (s == 0) first = loss;
        }
        long capNanos = (long) (maxSeconds * 1e9);
        int timed = 0;
        double[] recent = new double[10];
        long alloc0 = BenchSupport.Memory.totalAllocated(), gc0 = BenchSupport.Memory.gcMillis();
        long t0 = System.nanoTime(), now = t0;
        while (timed < steps && now - t0 <= capNanos) {
            last = step(model, adamW, ids, rng, windows, arena);
            losses.add(last);
            if (warmup == 0 && timed == 0) first = last;
            recent[timed % recent.length] = last;
            timed++;
            now = System.nanoTime();
        }
        double seconds = (now - t0) / 1e9;
        double mean = 0;
        int k = Math.min(timed, recent.length);
        for (int i = 0; i < k; i++) mean += recent[i];
        mean /= Math.max(1, k);
        result("gpt_train_b" + batch, "tokens_per_s", (double) timed * batch * t / seconds);
        result("gpt_train_b" + batch, "ms_per_step", seconds * 1e3 / timed);
        result("gpt_train_b" + batch, "alloc_bytes_per_step", (double) (BenchSupport.Memory.totalAllocated() - alloc0) / timed);
        result("gpt_train_b" + batch, "gc_ms_per_step", (double) (BenchSupport.Memory.gcMillis() - gc0) / timed);
        info(String.format(Locale.ROOT, "gpt_train_b%d warmup_steps=%d timed_steps=%d total_steps=%d timed_s=%.2f capped=%b loss_first=%.4f loss_last=%.4f loss_last10_mean=%.4f",
                batch, warmup, timed, warmup + timed, seconds, timed < steps, first, last, mean));
        if (losses.size() >= lossStep && lossStep >= 5) {
            double at = 0;
            for (int i = lossStep - 5; i < lossStep; i++) at += losses.get(i);
            info(String.format(Locale.ROOT, "gpt_train_b%d loss_at_step%d=%.4f (mean of steps %d-%d)", batch, lossStep, at / 5, lossStep - 4, lossStep));
        } else {
            info("gpt_train_b" + batch + " loss_at_step" + lossStep + "=n/a (only " + losses.size() + " steps ran)");
        }
        BenchSupport.peakRss();
    }

    private static float step(Sequential model, Optimizer opt, int[] ids, Rng rng, Gpt.Windows windows, StepArena arena) {
        windows.sample(ids, rng);
        return Gpt.trainStep(model, opt, windows.inputs(), windows.targets(), rng, arena);
    }
}
