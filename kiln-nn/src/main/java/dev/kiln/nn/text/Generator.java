package dev.kiln.nn.text;

import dev.kiln.core.Grad;
import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Model;
import dev.kiln.nn.layers.ActivationLayer;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Dropout;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.GptBlock;
import dev.kiln.nn.layers.Layer;
import dev.kiln.nn.layers.LayerNormalization;
import dev.kiln.nn.layers.MultiHeadAttention;
import dev.kiln.nn.layers.PositionalEmbedding;
import dev.kiln.nn.layers.SinusoidalPositionalEncoding;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Samples token ids from a decoder-only language model (a {@link Gpt}, or any Sequential of Embedding,
 * positions, GptBlocks and per-position layers), one token at a time, with temperature, top-k and top-p
 * (nucleus, Holtzman et al. 2020) filtering and a seeded random source.
 *
 * <p>The key/value cache: each GptBlock keeps the keys and values of the positions it has seen, so a new
 * token costs one position's work rather than re-running the whole prefix (nanoGPT recomputes; this does
 * not). When the context is full, the cache is rebuilt from the last half context of tokens, so the
 * following half-context of tokens are cached again. {@code useCache = false} recomputes the window every
 * step, the reference the cached path is tested against.
 *
 * <p>Not thread-safe; the model itself may be shared by generators on different threads.
 */
public final class Generator {
    /**
     * @param temperature divides the logits; 0 means greedy (argmax)
     * @param topK        keep only the k most likely tokens (0 = all)
     * @param topP        keep the smallest set of most likely tokens whose probability reaches p (1 = all)
     */
    public record Sampling(double temperature, int topK, double topP, long seed) {
        public Sampling {
            if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be >= 0 and finite, got " + temperature);
            if (topK < 0) throw new IllegalArgumentException("topK must be >= 0 (0 = no limit), got " + topK);
            if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }

        public static Sampling greedy() {
            return new Sampling(0, 0, 1, 0);
        }

        public static Sampling of(double temperature, long seed) {
            return new Sampling(temperature, 0, 1, seed);
        }

        public Sampling withTopK(int k) { return new Sampling(temperature, k, topP, seed); }

        public Sampling withTopP(double p) { return new Sampling(temperature, topK, p, seed); }
    }

    private final Model model;
    private final List<Layer> layers;
    private final int context;
    private final int blocks;
    private final boolean useCache;

    public Generator(Model model) {
        this(model, true);
    }

    public Generator(Model model, boolean useCache) {
        if (!model.isBuilt()) throw new IllegalArgumentException("Generator needs a built model (train, load or build it first)");
        this.model = model;
        this.layers = model.layers();
        this.useCache = useCache;
        int[] in = model.inputShape();
        if (in.length != 1) {
            throw new IllegalArgumentException("Generator needs a language model taking token ids (batch, timesteps); this model takes " + Layer.batchShape(in));
        }
        this.context = in[0];
        int n = 0;
        for (Layer l : layers) {
            if (l instanceof GptBlock) n++;
            else if (!(l instanceof Embedding || l instanceof PositionalEmbedding || l instanceof SinusoidalPositionalEncoding
                    || l instanceof LayerNormalization || l instanceof Dense || l instanceof Dropout || l instanceof ActivationLayer)) {
                throw new IllegalArgumentException("Generator cannot run layer '" + l.name() + "' (" + l.typeName()
                        + ") one position at a time; a generating model is Embedding, positions, GptBlocks and Dense/LayerNormalization layers (see Gpt.build)");
            }
        }
        this.blocks = n;
    }

    public int contextLength() {
        return context;
    }

    /** The running state of one generation: a cache per block and how many positions it holds. */
    private final class State {
        final MultiHeadAttention.KvCache[] caches = new MultiHeadAttention.KvCache[blocks];
        int position;

        State() {
            for (int i = 0; i < blocks; i++) caches[i] = new MultiHeadAttention.KvCache();
        }
    }

    /**
     * Generates up to {@code maxNewTokens} ids after {@code prompt} (at least one id), handing each to
     * {@code onToken} as it comes (may be null). Returns only the new ids.
     */
    public int[] generate(int[] prompt, int maxNewTokens, Sampling sampling, IntConsumer onToken) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty; give at least one token (e.g. a newline or a space)");
        if (maxNewTokens < 0) throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        return Grad.noGrad(() -> {
            Rng rng = new Rng(sampling.seed());
            int[] all = Arrays.copyOf(prompt, prompt.length + maxNewTokens);
            int len = prompt.length;
            State state = new State();
            float[] logits = prefill(state, all, len);
            for (int step = 0; step < maxNewTokens; step++) {
                int next = sample(logits, sampling, rng);
                all[len++] = next;
                if (onToken != null) onToken.accept(next);
                if (step + 1 == maxNewTokens) break;
                if (useCache && state.position < context) {
                    logits = forward(state, new int[] {next});
                } else {
                    state = new State();
                    logits = prefill(state, all, len);
                }
            }
            return Arrays.copyOfRange(all, prompt.length, len);
        });
    }

    /** Next-token logits after {@code ids}, computed from scratch (for tests and scoring). */
    public float[] nextLogits(int[] ids) {
        return Grad.noGrad(() -> prefill(new State(), ids, ids.length));
    }

    /** Fills a fresh state with the last tokens that fit: the whole context without a cache, half of it with one (room to grow). */
    private float[] prefill(State state, int[] all, int len) {
        int keep = Math.min(len, useCache && len > context ? Math.max(1, context / 2) : context);
        return forward(state, Arrays.copyOfRange(all, len - keep, len));
    }

    /** Runs new tokens through every layer after the state's cached positions; returns the last position's logits. */
    private float[] forward(State state, int[] ids) {
        float[] v = new float[ids.length];
        for (int i = 0; i < v.length; i++) v[i] = ids[i];
        Tensor h = Tensor.of(v, 1, ids.length);                        // (1, t)
        int block = 0;
        for (Layer l : layers) {
            h = switch (l) {
                case Embedding e -> e.lookup(h);                           // (1, t, D)
                case PositionalEmbedding p -> p.addPositions(h, state.position);
                case SinusoidalPositionalEncoding p -> p.addPositions(h, state.position);
                case GptBlock g -> g.decode(h, state.caches[block++]);
                case LayerNormalization n -> n.normalize(h);
                case Dense d -> {
                    Tensor y = h.matmul(d.parameters().get("kernel"));
                    Tensor bias = d.parameters().get("bias");
                    yield d.config().activation().apply(bias == null ? y : y.add(bias));
                }
                case ActivationLayer a -> a.config().activation().apply(h);
                default -> h;                                              // Dropout: identity at inference
            };
        }
        state.position += ids.length;
        int t = h.shape(1);
        return h.slice(1, t - 1, t).toFloatArray();                        // (V,) of the last position
    }

    /** Picks the next id from logits: temperature, then top-k, then top-p, then a draw (or argmax at temperature 0). */
    static int sample(float[] logits, Sampling s, Rng rng) {
        int v = logits.length;
        if (s.temperature() == 0) {
            int best = 0;
            for (int i = 1; i < v; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));  // most likely first
        int keep = s.topK() > 0 ? Math.min(s.topK(), v) : v;
        double max = logits[order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int r = 0; r < keep; r++) sum += p[r] = Math.exp((logits[order[r]] - max) / s.temperature());
        double cumulative = 0;
        int nucleus = keep;
        for (int r = 0; r < keep; r++) {
            cumulative += p[r] / sum;
            if (cumulative >= s.topP()) {
                nucleus = r + 1;
                break;
            }
        }
        double total = 0;
        for (int r = 0; r < nucleus; r++) total += p[r];
        double u = rng.uniform() * total;
        for (int r = 0; r < nucleus; r++) {
            u -= p[r];
            if (u < 0) return order[r];
        }
        return order[nucleus - 1];
    }

    public Model model() {
        return model;
    }
}
