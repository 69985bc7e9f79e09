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
    @JsonSubTypes.Type(value = Embedding.Config.class, name = "Embedding"),
    @JsonSubTypes.Type(value = SimpleRnn.Config.class, name = "SimpleRNN"),
    @JsonSubTypes.Type(value = Lstm.Config.class, name = "LSTM"),
    @JsonSubTypes.Type(value = Gru.Config.class, name = "GRU"),
    @JsonSubTypes.Type(value = Bidirectional.Config.class, name = "Bidirectional"),
    @JsonSubTypes.Type(value = TimeDistributed.Config.class, name = "TimeDistributed"),
    @JsonSubTypes.Type(value = LayerNormalization.Config.class, name = "LayerNormalization"),
    @JsonSubTypes.Type(value = MultiHeadAttention.Config.class, name = "MultiHeadAttention"),
    @JsonSubTypes.Type(value = PositionalEmbedding.Config.class, name = "PositionalEmbedding"),
    @JsonSubTypes.Type(value = SinusoidalPositionalEncoding.Config.class, name = "SinusoidalPositionalEncoding"),
    @JsonSubTypes.Type(value = TransformerEncoder.Config.class, name = "TransformerEncoder"),
    @JsonSubTypes.Type(value = GptBlock.Config.class, name = "GptBlock"),
    @JsonSubTypes.Type(value = Conv2D.Config.class, name = "Conv2D"),
    @JsonSubTypes.Type(value = MaxPooling2D.Config.class, name = "MaxPooling2D"),
    @JsonSubTypes.Type(value = AveragePooling2D.Config.class, name = "AveragePooling2D"),
    @JsonSubTypes.Type(value = GlobalAveragePooling2D.Config.class, name = "GlobalAveragePooling2D"),
    @JsonSubTypes.Type(value = GlobalMaxPooling2D.Config.class, name = "GlobalMaxPooling2D"),
    @JsonSubTypes.Type(value = BatchNormalization.Config.class, name = "BatchNormalization"),
    @JsonSubTypes.Type(value = ZeroPadding2D.Config.class, name = "ZeroPadding2D"),
    @JsonSubTypes.Type(value = SpatialDropout2D.Config.class, name = "SpatialDropout2D"),
    @JsonSubTypes.Type(value = Reshape.Config.class, name = "Reshape"),
    @JsonSubTypes.Type(value = Add.Config.class, name = "Add"),
    @JsonSubTypes.Type(value = Concatenate.Config.class, name = "Concatenate"),
    @JsonSubTypes.Type(value = Conv2DTranspose.Config.class, name = "Conv2DTranspose"),
})
public sealed interface LayerConfig permits Dense.Config, Flatten.Config, Dropout.Config, ActivationLayer.Config,
        Embedding.Config, SimpleRnn.Config, Lstm.Config, Gru.Config, Bidirectional.Config, TimeDistributed.Config,
        LayerNormalization.Config, MultiHeadAttention.Config, PositionalEmbedding.Config, SinusoidalPositionalEncoding.Config,
        TransformerEncoder.Config, GptBlock.Config,
        Conv2D.Config, MaxPooling2D.Config, AveragePooling2D.Config, GlobalAveragePooling2D.Config, GlobalMaxPooling2D.Config, BatchNormalization.Config, ZeroPadding2D.Config, SpatialDropout2D.Config, Reshape.Config, Add.Config, Concatenate.Config, Conv2DTranspose.Config {
    /** The layer's name, or null to have the model assign one. */
    String name();

    /** A new, unbuilt layer with this configuration. */
    Layer create();
}
