package dev.kiln.nn.layers;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import dev.kiln.core.Tensor;

/** Activation functions by their Keras names. */
public enum Activation {
    LINEAR, RELU, SIGMOID, TANH, SOFTMAX;

    public Tensor apply(Tensor x) {
        return switch (this) {
            case LINEAR -> x;
            case RELU -> x.relu();
            case SIGMOID -> x.sigmoid();
            case TANH -> x.tanh();
            case SOFTMAX -> x.softmax(-1);
        };
    }

    /** Parses a Keras-style name ({@code "relu"}, {@code "softmax"}, null or "linear" for none). */
    @JsonCreator
    public static Activation parse(String name) {
        if (name == null || name.isBlank()) return LINEAR;
        for (Activation a : values()) if (a.name().equalsIgnoreCase(name.trim())) return a;
        throw new IllegalArgumentException("unknown activation '" + name + "'; use one of linear, relu, sigmoid, tanh, softmax");
    }

    @JsonValue
    public String keras() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
