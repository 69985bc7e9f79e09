package dev.kiln.nn.callbacks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kiln.nn.Model;
import dev.kiln.nn.io.AtomicFiles;
import dev.kiln.nn.optimizers.Optimizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Saves the model after epochs, as Keras's {@code keras.callbacks.ModelCheckpoint} (always the whole
 * model, through {@link Model#save}, so each file is written atomically and loads with {@link Model#load}).
 *
 * <p><b>File pattern.</b> The path may contain placeholders filled from the epoch, like Keras's
 * {@code filepath.format(epoch=..., **logs)}: {@code {epoch}} becomes the 1-based epoch zero-padded to three
 * digits ({@code model-{epoch}.kiln} → {@code model-007.kiln}, so files sort in training order up to 999
 * epochs), and {@code {name}} for any log key becomes its value with four decimals
 * ({@code {val_loss}} → {@code 0.3125}). An unknown placeholder fails at the first save, naming the keys.
 * Without placeholders the same file is overwritten.
 *
 * <p><b>When it saves.</b> With {@code saveBestOnly = false}, after every epoch. With
 * {@code saveBestOnly = true}, only after an epoch whose monitored value strictly improves on the best so far
 * (Keras's checkpoint has no {@code min_delta}; a {@link Monitor} with one is honoured). A missing monitor key
 * is an error only with {@code saveBestOnly}, where the decision depends on it.
 *
 * <p><b>Resume sidecar.</b> Next to each model file it writes {@code <file>.state.json} (also atomically,
 * and after the model, so a present sidecar always describes a complete model file) holding the 1-based
 * number of completed epochs, the monitored value and best so far, the optimiser's name, iteration count and
 * current learning rate, and the epoch's logs; {@link #readState} reads it back. To resume a crashed run:
 * {@code Model.load(file)} (weights and compile settings are restored), then {@code fit} for the remaining
 * {@code epochs - state.epoch()} epochs. <b>Not restored:</b> the optimiser's moment estimates (Adam's m and
 * v, momentum buffers — not saved yet, so the first steps after a resume behave like a fresh optimiser), its
 * iteration count (recorded, so a schedule can be offset by hand, but there is no API to set it), a
 * ReduceLROnPlateau factor (the recorded {@code learning_rate} shows it), and the shuffle and dropout random
 * streams (a resumed run is not bit-identical to an uninterrupted one).
 *
 * <p>An {@link IOException} while saving is rethrown as {@link UncheckedIOException} and ends {@code fit}:
 * a run that believes it is checkpointed but is not is worse than a stopped one.
 *
 * <p>Single-threaded, like every callback; state resets at train begin.
 */
public final class ModelCheckpoint implements Callback {
    /** Version of the sidecar JSON; bumped on incompatible changes. */
    public static final int STATE_FORMAT_VERSION = 1;
    static final String STATE_FORMAT = "kiln-checkpoint-state";
    static final String STATE_SUFFIX = ".state.json";

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z0-9_]+)}");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /**
     * @param filePattern  where to save, with optional {@code {epoch}} / {@code {log_key}} placeholders
     * @param monitor      what "best" means (Keras default {@code val_loss}, AUTO)
     * @param saveBestOnly save only when the monitored value improves
     */
    public record Config(String filePattern, Monitor monitor, boolean saveBestOnly) {
        public Config {
            if (filePattern == null || filePattern.isBlank()) {
                throw new IllegalArgumentException("ModelCheckpoint needs a file pattern such as \"checkpoints/model-{epoch}.kiln\", got "
                        + (filePattern == null ? "null" : "\"" + filePattern + "\""));
            }
            if (monitor == null) throw new IllegalArgumentException("ModelCheckpoint needs a monitor, e.g. new Monitor(\"val_loss\", Mode.AUTO, 0), got null");
        }

        public Config withFilePattern(String v) { return new Config(v, monitor, saveBestOnly); }

        public Config withMonitor(Monitor v) { return new Config(filePattern, v, saveBestOnly); }

        public Config withSaveBestOnly(boolean v) { return new Config(filePattern, monitor, v); }
    }

    /**
     * What a checkpoint's sidecar records (see the class comment for what resuming restores).
     *
     * @param formatVersion       {@link #STATE_FORMAT_VERSION} of the writer
     * @param format              always {@code kiln-checkpoint-state}
     * @param epoch               completed epochs, 1-based (the file holds the weights after this epoch)
     * @param monitor             the monitored key
     * @param monitorValue        its value at this epoch, or null when the logs lacked it or it was not finite
     * @param best                the best monitored value up to and including this epoch, or null
     * @param optimizer           the optimiser's Keras name, or null without one
     * @param optimizerIterations optimiser steps taken so far
     * @param learningRate        the learning rate the next step would use, or null without an optimiser
     * @param logs                the epoch's logs (non-finite values as null)
     * @param modelFile           the model file's name, relative to the sidecar
     */
    public record State(int formatVersion, String format, int epoch, String monitor, Double monitorValue, Double best,
                        String optimizer, long optimizerIterations, Double learningRate, Map<String, Double> logs, String modelFile) {}

    private final Config config;
    private double best;
    private final List<Path> saved = new ArrayList<>();

    public ModelCheckpoint(Config config) {
        if (config == null) throw new IllegalArgumentException("config must not be null");
        this.config = config;
        this.best = config.monitor().worst();
    }

    /** Keras's argument list: the pattern, the monitored key, saveBestOnly and the mode (minDelta 0). */
    public ModelCheckpoint(String filePattern, String monitor, boolean saveBestOnly, Monitor.Mode mode) {
        this(new Config(filePattern, new Monitor(monitor, mode, 0), saveBestOnly));
    }

    public ModelCheckpoint(Path filePattern, String monitor, boolean saveBestOnly, Monitor.Mode mode) {
        this(filePattern.toString(), monitor, saveBestOnly, mode);
    }

    public Config config() {
        return config;
    }

    @Override
    public void onTrainBegin(TrainingState state) {
        best = config.monitor().worst();
        saved.clear();
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        Monitor monitor = config.monitor();
        Double current = null;
        if (config.saveBestOnly()) {
            current = monitor.valueIn(logs, "ModelCheckpoint");
            if (!monitor.improves(current, best)) return;
            best = current;
        } else if (monitor.presentIn(logs)) {
            current = logs.get(monitor.name());
            if (monitor.improves(current, best)) best = current;
        }
        Path file = Path.of(fileFor(epoch, logs));
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) Files.createDirectories(dir);
            state.model().save(file);
            writeState(file, epoch, current, logs, state.optimizer());
        } catch (IOException e) {
            throw new UncheckedIOException("ModelCheckpoint could not save epoch " + (epoch + 1) + " to " + file + ": " + e.getMessage()
                    + "; check that the directory is writable and the disk has space", e);
        }
        if (!saved.contains(file)) saved.add(file);
    }

    /** The file name for 0-based {@code epoch}, with the placeholders filled in. */
    String fileFor(int epoch, Map<String, Double> logs) {
        Matcher m = PLACEHOLDER.matcher(config.filePattern());
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String key = m.group(1);
            String value;
            if (key.equals("epoch")) {
                value = String.format(Locale.ROOT, "%03d", epoch + 1);
            } else if (logs.containsKey(key)) {
                value = String.format(Locale.ROOT, "%.4f", logs.get(key));
            } else {
                throw new IllegalArgumentException("ModelCheckpoint file pattern '" + config.filePattern() + "' has the placeholder {" + key
                        + "}, but the epoch logs have only " + logs.keySet() + "; use {epoch} or one of those keys");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private void writeState(Path modelFile, int epoch, Double current, Map<String, Double> logs, Optimizer optimizer) throws IOException {
        Map<String, Double> finiteLogs = new LinkedHashMap<>();
        for (var e : logs.entrySet()) finiteLogs.put(e.getKey(), finiteOrNull(e.getValue()));
        State s = new State(STATE_FORMAT_VERSION, STATE_FORMAT, epoch + 1, config.monitor().name(), finiteOrNull(current), finiteOrNull(best),
                optimizer == null ? null : optimizer.name(), optimizer == null ? 0 : optimizer.iterations(),
                optimizer == null ? null : optimizer.learningRate(), finiteLogs, modelFile.getFileName().toString());
        AtomicFiles.writeString(stateFile(modelFile), JSON.writeValueAsString(s));
    }

    private static Double finiteOrNull(Double v) {
        return v == null || !Double.isFinite(v) ? null : v;
    }

    /** The sidecar path of a checkpoint file: {@code <file>.state.json}. */
    public static Path stateFile(Path modelFile) {
        return modelFile.resolveSibling(modelFile.getFileName() + STATE_SUFFIX);
    }

    /**
     * Reads the sidecar of {@code modelFile}.
     *
     * @throws NoSuchFileException when there is none (the file was not written by ModelCheckpoint)
     * @throws IOException         when it is damaged or from a newer Kiln
     */
    public static State readState(Path modelFile) throws IOException {
        Path sidecar = stateFile(modelFile);
        if (!Files.exists(sidecar)) {
            throw new NoSuchFileException(sidecar.toString(), null, "no checkpoint state next to " + modelFile
                    + "; only files saved by ModelCheckpoint have one");
        }
        State s;
        try {
            s = JSON.readValue(Files.readString(sidecar), State.class);
        } catch (JsonProcessingException e) {
            throw new IOException(sidecar + ": not a valid checkpoint state file (" + e.getOriginalMessage() + ")", e);
        }
        if (!STATE_FORMAT.equals(s.format())) {
            throw new IOException(sidecar + ": 'format' is " + s.format() + ", expected '" + STATE_FORMAT + "'");
        }
        if (s.formatVersion() < 1 || s.formatVersion() > STATE_FORMAT_VERSION) {
            throw new IOException(sidecar + ": checkpoint state version " + s.formatVersion() + " is not supported; this Kiln reads 1 to "
                    + STATE_FORMAT_VERSION + (s.formatVersion() > STATE_FORMAT_VERSION ? " (written by a newer Kiln: upgrade Kiln)" : ""));
        }
        return s;
    }

    /** The files written during the last run, in first-written order (a pattern without placeholders appears once). */
    public List<Path> savedFiles() {
        return List.copyOf(saved);
    }

    /** The best monitored value seen in the last run (+/- infinity before any). */
    public double best() {
        return best;
    }
}
