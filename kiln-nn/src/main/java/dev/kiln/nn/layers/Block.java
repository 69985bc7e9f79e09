package dev.kiln.nn.layers;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;

/**
 * The body shared by {@link TransformerEncoder} and {@link GptBlock}: self-attention and a two-layer
 * feed-forward network, each wrapped in a residual connection with layer normalisation, either after the
 * residual sum (post-norm, Vaswani et al. 2017) or before the sublayer (pre-norm, GPT-2, Radford et al. 2019).
 * Sublayers are built for per-position shapes and run on (B·T, D), so the block accepts any length up to
 * the model's context (needed to decode one token at a time).
 */
final class Block {
    private final Layer owner;
    private final Children children;
    private final int numHeads;
    private final int intermediateDim;
    private final Activation activation;
    private final double dropout;
    private final double epsilon;
    private final boolean normalizeFirst;
    private final boolean causal;
    private final Initializer kernelInitializer;   // null: each sublayer's Keras default (glorot_uniform)
    private final Initializer biasInitializer;     // null: zeros
    private MultiHeadAttention attention;
    private LayerNormalization attentionNorm;
    private Dense ffn1;
    private Dense ffn2;
    private LayerNormalization ffnNorm;

    Block(Layer owner, int numHeads, int intermediateDim, Activation activation, double dropout, double epsilon, boolean normalizeFirst, boolean causal) {
        this(owner, numHeads, intermediateDim, activation, dropout, epsilon, normalizeFirst, causal, null, null);
    }

    /** As above with the attention's and the feed-forward network's kernel and bias initialisers (null: Keras defaults). */
    Block(Layer owner, int numHeads, int intermediateDim, Activation activation, double dropout, double epsilon, boolean normalizeFirst, boolean causal,
          Initializer kernelInitializer, Initializer biasInitializer) {
        this.kernelInitializer = kernelInitializer;
        this.biasInitializer = biasInitializer;
        this.owner = owner;
        this.children = new Children(owner);
        this.numHeads = numHeads;
        this.intermediateDim = intermediateDim;
        this.activation = activation;
        this.dropout = dropout;
        this.epsilon = epsilon;
        this.normalizeFirst = normalizeFirst;
        this.causal = causal;
    }

    void validate(int[] inputShape) {
        if (inputShape.length != 2) {
            throw new IllegalArgumentException("layer '" + owner.name() + "' (" + owner.typeName() + ") expects input of shape (batch, timesteps, features) but received "
                    + Layer.batchShape(inputShape) + "; put an Embedding and a positional embedding before it");
        }
        if (inputShape[1] % numHeads != 0) {
            throw new IllegalArgumentException("layer '" + owner.name() + "' (" + owner.typeName() + "): the model width " + inputShape[1]
                    + " is not divisible by numHeads " + numHeads + "; choose a width that is a multiple of the number of heads");
        }
    }

    void build(int[] inputShape, Rng rng) {
        int d = inputShape[1];
        attention = children.add("attention", new MultiHeadAttention(new MultiHeadAttention.Config(null, numHeads, d / numHeads, causal, dropout)
                .withInitializers(kernelInitializer, biasInitializer)));
        attentionNorm = children.add("attention_norm", new LayerNormalization(epsilon));
        ffn1 = children.add("ffn_1", new Dense(dense(intermediateDim, activation)));
        ffn2 = children.add("ffn_2", new Dense(dense(d, Activation.LINEAR)));
        ffnNorm = children.add("ffn_norm", new LayerNormalization(epsilon));
        children.build("attention", inputShape, rng);
        children.build("attention_norm", new int[] {d}, rng);
        children.build("ffn_1", new int[] {d}, rng);
        children.build("ffn_2", new int[] {intermediateDim}, rng);
        children.build("ffn_norm", new int[] {d}, rng);
    }

    private Dense.Config dense(int units, Activation act) {
        return new Dense.Config(null, units, act, true, kernelInitializer, biasInitializer, 0);   // nulls become Dense's defaults
    }

    /** x (B, T, D) → (B, T, D); {@code cache} non-null decodes the new positions in x after the cached ones. */
    Tensor forward(Tensor x, Tensor mask, CallContext ctx, MultiHeadAttention.KvCache cache) {
        children.sync();
        int b = x.shape(0), t = x.shape(1), d = x.shape(2);
        Tensor h;
        if (normalizeFirst) {
            Tensor a = attention.attendOutput(positionwise(attentionNorm, x, ctx), mask, ctx, cache);
            h = x.add(drop(a, ctx));                                                       // x + attn(ln(x))
            Tensor f = positionwise(ffn2, positionwise(ffn1, positionwise(ffnNorm, h, ctx), ctx), ctx);
            return h.add(drop(f, ctx));                                                    // h + ffn(ln(h))
        }
        Tensor a = attention.attendOutput(x, mask, ctx, cache);
        h = positionwise(attentionNorm, x.add(drop(a, ctx)), ctx);                         // ln(x + attn(x))
        Tensor f = positionwise(ffn2, positionwise(ffn1, h, ctx), ctx);
        return positionwise(ffnNorm, h.add(drop(f, ctx)), ctx);                            // ln(h + ffn(h))
    }

    /** Applies a per-position layer to (B, T, C) as (B·T, C). */
    private static Tensor positionwise(Layer layer, Tensor x, CallContext ctx) {
        int b = x.shape(0), t = x.shape(1);
        Tensor y = layer.call(x.reshape(b * t, x.shape(2)), ctx);
        return y.reshape(b, t, y.shape(1));
    }

    private Tensor drop(Tensor x, CallContext ctx) {
        if (!ctx.training() || dropout == 0) return x;
        float keep = (float) (1 - dropout);
        float[] mask = new float[x.size()];
        for (int i = 0; i < mask.length; i++) mask[i] = ctx.rng().uniform() < keep ? 1f / keep : 0f;
        return x.mul(Tensor.of(mask, x.shape()).to(x.dtype()));
    }

    /** The weights (B, H, T, T) the attention gives x, normalised first when the block normalises first. */
    Tensor attentionWeights(Tensor x) {
        children.sync();
        CallContext ctx = CallContext.inference();
        return attention.attend(normalizeFirst ? positionwise(attentionNorm, x, ctx) : x, null, ctx, null).weights();
    }
}
