package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.nn.Model;
import dev.kiln.nn.io.ModelFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Loading models for the commands, and the CLI's own provenance keys: {@code class_names} (a JSON array)
 * and {@code dataset}, which {@code train} records so that {@code predict} can name classes later.
 */
final class Models {
    static final String CLASS_NAMES = "class_names";
    static final String DATASET = "dataset";
    /** How a text model's token ids were padded and truncated in training (pre or post), so predict does the same. */
    static final String TEXT_PADDING = "text_padding";
    static final String TEXT_TRUNCATING = "text_truncating";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Models() {}

    /**
     * Loads a {@code .kiln} file. A path that does not exist is a usage error (exit 2); a file that exists but
     * cannot be read as a model is a run-time error whose message names the file.
     */
    static Model load(CommandSpec spec, Path file) throws IOException {
        requireFile(spec, file, "model file");
        try {
            return Model.load(file);
        } catch (ModelFileException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            String m = Main.describe(e);
            throw new ModelFileException((m.contains(file.toString()) ? m : file + ": " + m)
                    + "; is it a model saved by Kiln (model.kiln from kiln train, or Model.save)?", e);
        }
    }

    /** Fails with a usage error (exit 2) unless {@code file} is an existing regular file. */
    static void requireFile(CommandSpec spec, Path file, String what) {
        if (Files.isDirectory(file)) throw new ParameterException(spec.commandLine(), what + " " + file + " is a folder, not a file");
        if (!Files.isRegularFile(file)) throw new ParameterException(spec.commandLine(), what + " not found: " + file);
    }

    /** The class names recorded in the model, or an empty list. */
    static List<String> classNames(Model model) {
        String json = model.provenance().get(CLASS_NAMES);
        if (json == null) return List.of();
        try {
            return List.copyOf(JSON.readValue(json, new TypeReference<List<String>>() {}));
        } catch (JsonProcessingException | NullPointerException e) {
            return List.of();   // an unreadable optional entry only costs the names, never the prediction
        }
    }

    /** Adds the dataset and its class names to the model's provenance (after {@code fit}, which resets it). */
    static void recordData(Model model, String dataset, List<String> classNames) {
        Map<String, String> p = new LinkedHashMap<>(model.provenance());
        p.put(DATASET, dataset);
        if (!classNames.isEmpty() && !DataSets.isNumbering(classNames)) {
            try {
                p.put(CLASS_NAMES, JSON.writeValueAsString(classNames));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a list of strings always converts to JSON", e);
            }
        }
        model.provenance(p);
    }

    /**
     * Stores the tokenizer (so {@code predict} takes raw text) and how sequences were padded and truncated;
     * after {@code fit}, like {@link #recordData}.
     */
    static void recordTokenizer(Model model, dev.kiln.data.text.Tokenizer tokenizer, TrainConfig.TextSpec text) {
        model.preprocessing(tokenizer.toJson());
        Map<String, String> p = new LinkedHashMap<>(model.provenance());
        p.put(TEXT_PADDING, text.padding());
        p.put(TEXT_TRUNCATING, text.truncating());
        model.provenance(p);
    }

    /** A text model's padding or truncating side from its provenance; pre (Keras's default) when not recorded. */
    static String textSide(Model model, String key) {
        return "post".equals(model.provenance().get(key)) ? "post" : "pre";
    }

    /**
     * The provenance as "key: value" lines in a fixed order (the model keeps it in a map without one), leaving
     * out the class names, which the commands show on their own line.
     */
    static List<String> provenanceLines(Model model) {
        List<String> order = List.of("kiln_version", "created", "seed", DATASET, "data_sha256", "jdk", "os", "arch");
        List<String> keys = new java.util.ArrayList<>(model.provenance().keySet());
        keys.remove(CLASS_NAMES);
        keys.sort(java.util.Comparator.comparingInt((String k) -> order.contains(k) ? order.indexOf(k) : order.size()).thenComparing(k -> k));
        return keys.stream().map(k -> k + ": " + model.provenance().get(k)).toList();
    }

    /** The number of classes a classifier predicts: its outputs, or 2 for a single (binary) output. */
    static int classes(Model model) {
        int[] out = model.outputShape();
        if (out.length != 1) {
            throw new CliException("the model outputs shape " + dev.kiln.core.Shape.str(out) + " per sample; these commands need a classifier with outputs shaped (classes,)");
        }
        return out[0] == 1 ? 2 : out[0];
    }
}
