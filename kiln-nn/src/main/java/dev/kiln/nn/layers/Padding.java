package dev.kiln.nn.layers;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.kiln.core.Conv;

/** Keras padding names for convolution and pooling layers: {@code valid} (no padding) or {@code same}. */
public enum Padding {
    VALID, SAME;

    @JsonCreator
    public static Padding parse(String name) {
        if (name == null || name.isBlank()) return VALID;
        for (Padding p : values()) if (p.name().equalsIgnoreCase(name.trim())) return p;
        throw new IllegalArgumentException("unknown padding '" + name + "'; use valid or same");
    }

    @JsonValue
    public String keras() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    Conv.Padding core() {
        return this == SAME ? Conv.Padding.SAME : Conv.Padding.VALID;
    }
}
