package dev.kiln.nn.layers;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import dev.kiln.core.Tensor;

/** Activation functions by their Keras names. */
public enum Activation {
    LINEAR, RELU, SIGMOID, TANH, SOFTMAX, GELU;

    public Tensor apply(Tensor x) {
        return switch (this) {
            case LINEAR -> x;
            case RELU -> x.relu();
            case SIGMOID -> x.sigmoid();
            case TANH -> x.tanh();
            case SOFTMAX -> x.softmax(-1);
            case GELU -> gelu(x);
        };
    }

    /**
     * GELU (Hendrycks & Gimpel 2016) in the tanh approximation GPT-2 uses (Radford et al. 2019):
     * {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}, the fused {@link dev.kiln.core.Gelu} op; PyTorch's
     * {@code F.gelu(x, approximate="tanh")}.
     */
    static Tensor gelu(Tensor x) {
        return dev.kiln.core.Gelu.apply(x);
    }

    /** Parses a Keras-style name ({@code "relu"}, {@code "softmax"}, null or "linear" for none). */
    @JsonCreator
    public static Activation parse(String name) {
        if (name == null || name.isBlank()) return LINEAR;
        for (Activation a : values()) if (a.name().equalsIgnoreCase(name.trim())) return a;
        throw new IllegalArgumentException("unknown activation '" + name + "'; use one of linear, relu, sigmoid, tanh, softmax, gelu");
    }

    @JsonValue
    public String keras() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
