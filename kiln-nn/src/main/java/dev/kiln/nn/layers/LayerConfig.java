package dev.kiln.nn.layers;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A layer's serialisable configuration: a record per layer type, written to the model file as JSON with a
 * {@code "type"} field. The set of types is closed and listed here, so reading a model file can only ever
 * create these layers (no class names in files, no reflection on user input).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Dense.Config.class, name = "Dense"),
    @JsonSubTypes.Type(value = Flatten.Config.class, name = "Flatten"),
    @JsonSubTypes.Type(value = Dropout.Config.class, name = "Dropout"),
    @JsonSubTypes.Type(value = ActivationLayer.Config.class, name = "Activation"),
})
public sealed interface LayerConfig permits Dense.Config, Flatten.Config, Dropout.Config, ActivationLayer.Config {
    /** The layer's name, or null to have the model assign one. */
    String name();

    /** A new, unbuilt layer with this configuration. */
    Layer create();
}
