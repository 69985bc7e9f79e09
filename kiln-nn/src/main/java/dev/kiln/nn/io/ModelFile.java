package dev.kiln.nn.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.kiln.nn.Functional;
import dev.kiln.nn.Model;
import dev.kiln.nn.layers.Layer;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.LayerConfig;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import dev.kiln.nn.optimizers.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code .kiln} model file: a valid safetensors file (so any safetensors reader sees the weights,
 * named {@code dense_1.kernel} etc.) whose {@code __metadata__} carries Kiln's format version, the JSON
 * architecture, the compile settings and the provenance. Loading only ever creates the closed set of
 * layer types in {@link LayerConfig}; it never runs code from the file. Writes are atomic.
 */
public final class ModelFile {
    /** Bumped whenever the architecture JSON changes incompatibly; readers refuse newer versions. */
    public static final int FORMAT_VERSION = 1;
    static final String FORMAT = "kiln-model";

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    private ModelFile() {}

    /** The architecture part of the file. */
    /** {@code nodes} is the layer graph of a {@link Functional} model and absent for Sequential ones. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Architecture(String modelClass, int[] inputShape, List<LayerConfig> layers, List<Functional.NodeSpec> nodes) {}

    /** Compile settings stored so a loaded model can evaluate straight away. */
    public record Training(String loss, String optimizer, double learningRate, List<String> metrics) {}

    public static void save(Model model, Path file) throws IOException {
        if (!(model instanceof Sequential) && !(model instanceof Functional)) {
            throw new IllegalArgumentException("only Sequential and Functional models can be saved, not " + model.getClass().getSimpleName());
        }
        if (!model.isBuilt()) throw new IllegalStateException("cannot save an unbuilt model: build or train it first");
        List<LayerConfig> configs = new ArrayList<>();
        for (var l : model.layers()) configs.add(l.config());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("format_version", Integer.toString(FORMAT_VERSION));
        meta.put("architecture", JSON.writeValueAsString(model instanceof Functional f
                ? new Architecture("Functional", model.inputShape(), configs, f.graph())
                : new Architecture("Sequential", model.inputShape(), configs, null)));
        if (model.loss() != null) {
            Optimizer o = model.optimizer();
            meta.put("training", JSON.writeValueAsString(new Training(model.loss().keras(), o.name(), o.learningRate(),
                    model.tracksAccuracy() ? List.of("accuracy") : List.of())));
        }
        meta.put("provenance", JSON.writeValueAsString(model.provenance()));
        if (model.preprocessing() != null) meta.put("preprocessing", model.preprocessing());
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (var e : model.parameters().entrySet()) weights.put(e.getKey(), e.getValue().detach());
        for (var e : model.buffers().entrySet()) weights.put(e.getKey(), e.getValue().detach());  // moving statistics
        SafeTensors.write(file, weights, meta);
    }

    public static Model load(Path file) throws IOException {
        SafeTensors.Contents contents = SafeTensors.read(file);
        Map<String, String> meta = contents.metadata();
        String format = meta.get("format");
        if (!FORMAT.equals(format)) {
            throw new ModelFileException(file + ": not a Kiln model (safetensors metadata 'format' is " + (format == null ? "missing" : "'" + format + "'")
                    + ", expected '" + FORMAT + "'); only weights-only safetensors files can't be loaded as models");
        }
        int version;
        try {
            version = Integer.parseInt(meta.getOrDefault("format_version", ""));
        } catch (NumberFormatException e) {
            throw new ModelFileException(file + ": format_version '" + meta.get("format_version") + "' is not a number");
        }
        if (version > FORMAT_VERSION || version < 1) {
            throw new ModelFileException(file + ": model format version " + version + " is not supported; this Kiln reads versions 1 to "
                    + FORMAT_VERSION + (version > FORMAT_VERSION ? " (the file was written by a newer Kiln: upgrade Kiln)" : ""));
        }
        Architecture arch = parse(file, meta.get("architecture"), Architecture.class, "architecture");
        if (!"Sequential".equals(arch.modelClass()) && !"Functional".equals(arch.modelClass())) {
            throw new ModelFileException(file + ": unknown model class '" + arch.modelClass() + "'; this Kiln reads Sequential and Functional");
        }
        if (arch.layers() == null || arch.layers().isEmpty() || arch.inputShape() == null) {
            throw new ModelFileException(file + ": architecture has no layers or no input shape");
        }
        Model model;
        if ("Functional".equals(arch.modelClass())) {
            List<Layer> layers = new ArrayList<>();
            for (LayerConfig c : arch.layers()) layers.add(c.create());
            try {
                model = Functional.fromGraph(arch.inputShape(), layers, arch.nodes());
            } catch (IllegalArgumentException e) {
                throw new ModelFileException(file + ": the Functional graph is invalid: " + e.getMessage());
            }
        } else {
            Sequential sequential = new Sequential();
            for (LayerConfig c : arch.layers()) sequential.add(c.create());
            model = sequential;
        }
        model.build(arch.inputShape());
        Map<String, Tensor> params = new LinkedHashMap<>(model.parameters());
        params.putAll(model.buffers());   // non-trainable state is stored like weights
        for (var e : params.entrySet()) {
            Tensor stored = contents.tensors().get(e.getKey());
            if (stored == null) throw new ModelFileException(file + ": weights for '" + e.getKey() + "' are missing");
            if (!Shape.equal(stored.shape(), e.getValue().shape())) {
                throw new ModelFileException(file + ": weights '" + e.getKey() + "' have shape " + Shape.str(stored.shape())
                        + " but the architecture needs " + Shape.str(e.getValue().shape()));
            }
            float[] src = stored.toFloatArray();
            System.arraycopy(src, 0, e.getValue().rawFloats(), 0, src.length);
        }
        for (String name : contents.tensors().keySet()) {
            if (!params.containsKey(name)) throw new ModelFileException(file + ": unexpected tensor '" + name + "' that no layer owns");
        }
        if (meta.containsKey("training")) {
            Training t = parse(file, meta.get("training"), Training.class, "training");
            Optimizer opt = new Adam(t.learningRate() > 0 ? t.learningRate() : 1e-3);
            model.compile(opt, Loss.parse(t.loss()), t.metrics() == null ? new String[0] : t.metrics().toArray(String[]::new));
        }
        if (meta.containsKey("preprocessing")) model.preprocessing(meta.get("preprocessing"));
        if (meta.containsKey("provenance")) {
            Map<String, String> p = new LinkedHashMap<>();
            JSON.readTree(meta.get("provenance")).properties().forEach(e -> p.put(e.getKey(), e.getValue().asText()));
            model.provenance(p);
        }
        return model;
    }

    private static <T> T parse(Path file, String json, Class<T> type, String what) throws ModelFileException {
        if (json == null) throw new ModelFileException(file + ": metadata '" + what + "' is missing");
        try {
            return JSON.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new ModelFileException(file + ": metadata '" + what + "' is invalid: " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file + ": metadata '" + what + "' is invalid: " + e.getMessage());
        }
    }
}
