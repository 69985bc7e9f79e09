package dev.kiln.cli;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.kiln.data.image.ImageAugmentation;
import dev.kiln.data.text.Sequences;
import dev.kiln.data.text.WordTokenizer;
import dev.kiln.nn.callbacks.Callback;
import dev.kiln.nn.callbacks.CsvLogger;
import dev.kiln.nn.callbacks.EarlyStopping;
import dev.kiln.nn.callbacks.ModelCheckpoint;
import dev.kiln.nn.callbacks.Monitor;
import dev.kiln.nn.callbacks.ReduceLROnPlateau;
import dev.kiln.nn.layers.LayerConfig;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import dev.kiln.nn.optimizers.LearningRateSchedule;
import dev.kiln.nn.optimizers.Optimizer;
import dev.kiln.nn.optimizers.RmsProp;
import dev.kiln.nn.optimizers.Sgd;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A training run as written in a YAML file; {@code examples/fashion-mnist-mlp.yaml} documents every key.
 * Keys are snake_case in the file ({@code batch_size}) and bound by {@link ConfigReader}; layer entries are
 * the model file's own {@link LayerConfig} records, so a YAML layer and a saved layer are the same thing.
 * Sections left out take Keras's defaults.
 *
 * @param output the run folder (model, history, summary), or null for {@code runs/<config file name>}
 */
record TrainConfig(DataSpec data, TextSpec text, AugmentSpec augment, ModelSpec model, CompileSpec compile, FitSpec fit, List<CallbackSpec> callbacks, String output) {
    TrainConfig {
        if (data == null) throw new IllegalArgumentException("the config needs a 'data' section, e.g. data: {name: fashion-mnist}");
        if (text != null && !data.isText()) {
            throw new IllegalArgumentException("the 'text' section (tokenizer settings) is for text data (" + String.join(", ", DataSpec.TEXT_NAMES)
                    + "), not " + data.name() + "; remove it");
        }
        if (text == null && data.isText()) text = TextSpec.DEFAULTS;
        if (augment != null && data.isText()) throw new IllegalArgumentException("'augment' changes images; " + data.name() + " is text data, so remove it");
        if (model == null) throw new IllegalArgumentException("the config needs a 'model' section with 'layers', e.g. model: {layers: [{type: Flatten}, {type: Dense, units: 10}]}");
        if (compile == null) throw new IllegalArgumentException("the config needs a 'compile' section with at least 'loss', e.g. compile: {loss: sparse_categorical_crossentropy_from_logits}");
        if (fit == null) fit = new FitSpec(null, null, null, null, null);
        callbacks = callbacks == null ? List.of() : List.copyOf(callbacks);
    }

    TrainConfig withModel(ModelSpec m) {
        return new TrainConfig(data, text, augment, m, compile, fit, callbacks, output);
    }

    TrainConfig withFit(FitSpec f) {
        return new TrainConfig(data, text, augment, model, compile, f, callbacks, output);
    }

    /**
     * Where the examples come from.
     *
     * @param name         fashion-mnist, fashion-mnist-subset, mnist, idx (a folder in {@code path}), csv, or
     *                     spam-assassin (labelled e-mails, tokenized as {@link TextSpec} says)
     * @param path         the CSV file or IDX folder; for spam-assassin, the npm package folder (or its data folder)
     *                     instead of the usual places
     * @param testPath     a CSV file of test samples (csv only); without it there is no test set
     * @param labelColumn  the CSV column holding class ids, by header name or 0-based index (default "label")
     * @param limit        use only the first {@code limit} training samples (for quick runs), or null for all
     * @param testFraction spam-assassin: the share of each class held out as the test split (default 0.2)
     * @param stripHeaders spam-assassin: learn from message bodies only, without the mail headers (default false)
     */
    record DataSpec(String name, String path, String testPath, String labelColumn, Integer limit, Double testFraction, Boolean stripHeaders) {
        static final List<String> NAMES = List.of("fashion-mnist", "fashion-mnist-subset", "mnist", "idx", "csv", "spam-assassin");
        /** The datasets of texts, which a tokenizer turns into token ids. */
        static final List<String> TEXT_NAMES = List.of("spam-assassin");

        DataSpec {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("data needs a 'name': one of " + String.join(", ", NAMES));
            name = name.trim().toLowerCase(Locale.ROOT);
            if (!NAMES.contains(name)) throw new IllegalArgumentException("unknown data name '" + name + "'; use one of " + String.join(", ", NAMES));
            if ((name.equals("csv") || name.equals("idx")) && (path == null || path.isBlank())) {
                throw new IllegalArgumentException("data '" + name + "' needs a 'path' to the " + (name.equals("csv") ? "CSV file" : "folder with IDX files"));
            }
            if (testPath != null && !name.equals("csv")) throw new IllegalArgumentException("'test_path' is for csv data only; " + name + " has its own test split");
            if (limit != null && limit < 1) throw new IllegalArgumentException("data limit must be >= 1 samples, got " + limit);
            boolean text = TEXT_NAMES.contains(name);
            if (testFraction != null && !text) throw new IllegalArgumentException("'test_fraction' is for text data (" + String.join(", ", TEXT_NAMES) + ") only; " + name + " has its own test split");
            if (stripHeaders != null && !name.equals("spam-assassin")) throw new IllegalArgumentException("'strip_headers' is for spam-assassin data only");
            if (text && testFraction == null) testFraction = 0.2;
            if (testFraction != null && !(testFraction > 0 && testFraction < 1)) throw new IllegalArgumentException("test_fraction must be in (0, 1), got " + testFraction);
            if (text && stripHeaders == null) stripHeaders = false;
        }

        boolean isText() {
            return TEXT_NAMES.contains(name);
        }
    }

    /**
     * How texts become model inputs: a word tokenizer fitted on the training split only (so no test word leaks
     * into the vocabulary), then ids padded or truncated to one length. The fitted tokenizer is saved in the
     * model file, so {@code kiln predict model.kiln "some message"} prepares a raw message the same way.
     *
     * @param maxTokens      the vocabulary cap, padding (id 0) and out-of-vocabulary (id 1) included, as Keras's
     *                       {@code TextVectorization(max_tokens=...)}; the Embedding's input_dim must be at least this
     * @param sequenceLength token ids per sample: the model's input shape
     * @param padding        where short sequences get zeros: pre (Keras's pad_sequences default) or post
     * @param truncating     which end of long sequences is cut: pre (keep the last tokens, the default) or post
     * @param lowercase      lower-case before splitting (default true)
     * @param punctuation    strip (default), split (each mark its own token) or keep (attached to words)
     */
    record TextSpec(Integer maxTokens, Integer sequenceLength, String padding, String truncating, Boolean lowercase, String punctuation) {
        static final List<String> ENDS = List.of("pre", "post");
        static final List<String> PUNCTUATION = List.of("strip", "split", "keep");
        static final TextSpec DEFAULTS = new TextSpec(null, null, null, null, null, null);   // after the lists its constructor reads

        TextSpec {
            if (maxTokens == null) maxTokens = 10_000;
            if (sequenceLength == null) sequenceLength = 200;
            padding = choice("padding", padding, ENDS);
            truncating = choice("truncating", truncating, ENDS);
            if (lowercase == null) lowercase = true;
            punctuation = choice("punctuation", punctuation, PUNCTUATION);
            if (maxTokens < 2) throw new IllegalArgumentException("max_tokens must be >= 2 (padding and the out-of-vocabulary id), got " + maxTokens);
            if (sequenceLength < 1) throw new IllegalArgumentException("sequence_length must be >= 1 token, got " + sequenceLength);
        }

        private static String choice(String key, String value, List<String> valid) {
            if (value == null) return valid.getFirst();
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (!valid.contains(v)) throw new IllegalArgumentException(key + " must be one of " + String.join(", ", valid) + ", got '" + value + "'");
            return v;
        }

        WordTokenizer.Config tokenizerConfig() {
            return WordTokenizer.Config.of(maxTokens).withLowercase(lowercase)
                    .withPunctuation(WordTokenizer.Punctuation.valueOf(punctuation.toUpperCase(Locale.ROOT)));
        }

        Sequences.Padding paddingMode() {
            return Sequences.Padding.valueOf(padding.toUpperCase(Locale.ROOT));
        }

        Sequences.Truncating truncatingMode() {
            return Sequences.Truncating.valueOf(truncating.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * Random image changes applied to every training batch, never to validation or test data (those passes
     * see the stored images, as Keras's augmentation layers act only in training). The fit seed fixes every
     * draw, so an augmented run repeats exactly. Keys are {@link ImageAugmentation}'s; all default to off.
     *
     * @param horizontalFlip     mirror left-right with probability 1/2
     * @param cropPadding        pad with this many zero pixels and crop back at a random offset (a shift of up to ±this)
     * @param maxRotationDegrees rotate by an angle uniform in ±this
     * @param maxTranslation     shift by up to this fraction of the height and width
     * @param maxBrightness      add a value uniform in ±this to every pixel
     * @param maxContrast        scale each channel about its mean by a factor in [1 - this, 1 + this]
     */
    record AugmentSpec(Boolean horizontalFlip, Integer cropPadding, Double maxRotationDegrees, Double maxTranslation,
                       Double maxBrightness, Double maxContrast) {
        AugmentSpec {
            if (horizontalFlip == null) horizontalFlip = false;
            if (cropPadding == null) cropPadding = 0;
            if (maxRotationDegrees == null) maxRotationDegrees = 0.0;
            if (maxTranslation == null) maxTranslation = 0.0;
            if (maxBrightness == null) maxBrightness = 0.0;
            if (maxContrast == null) maxContrast = 0.0;
            // The same ranges ImageAugmentation enforces, checked here so the message names the YAML key and line.
            if (cropPadding < 0) throw new IllegalArgumentException("crop_padding must be >= 0 pixels, got " + cropPadding);
            if (!(maxRotationDegrees >= 0 && maxRotationDegrees <= 180)) throw new IllegalArgumentException("max_rotation_degrees must be in [0, 180], got " + maxRotationDegrees);
            if (!(maxTranslation >= 0 && maxTranslation < 1)) throw new IllegalArgumentException("max_translation is a fraction of the image size in [0, 1), got " + maxTranslation);
            if (!(maxBrightness >= 0 && maxBrightness < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException("max_brightness must be finite and >= 0, got " + maxBrightness);
            if (!(maxContrast >= 0 && maxContrast < 1)) throw new IllegalArgumentException("max_contrast must be in [0, 1) so the factor stays positive, got " + maxContrast);
        }

        ImageAugmentation create() {
            return new ImageAugmentation(horizontalFlip, cropPadding, maxRotationDegrees, maxTranslation, maxBrightness, maxContrast);
        }

        /** What is switched on, for the training line: "horizontal flips, crop padding 2, rotation ±10°". */
        String describe() {
            List<String> on = new ArrayList<>();
            if (horizontalFlip) on.add("horizontal flips");
            if (cropPadding > 0) on.add("crop padding " + cropPadding);
            if (maxRotationDegrees > 0) on.add("rotation ±" + num(maxRotationDegrees) + "°");
            if (maxTranslation > 0) on.add("translation ±" + num(maxTranslation));
            if (maxBrightness > 0) on.add("brightness ±" + num(maxBrightness));
            if (maxContrast > 0) on.add("contrast ±" + num(maxContrast));
            return on.isEmpty() ? "nothing switched on" : String.join(", ", on);
        }

        /** 10 rather than 10.0, 0.1 rather than 0.100: the number as written in the file. */
        private static String num(double v) {
            return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
        }
    }

    /** @param inputShape one sample's shape without the batch axis, e.g. [28, 28]; null to take it from the data */
    record ModelSpec(List<Integer> inputShape, List<LayerConfig> layers) {
        ModelSpec {
            if (layers == null || layers.isEmpty()) throw new IllegalArgumentException("model needs a non-empty 'layers' list, e.g. [{type: Flatten}, {type: Dense, units: 10}]");
            layers = List.copyOf(layers);
            if (inputShape != null) {
                inputShape = List.copyOf(inputShape);
                if (inputShape.isEmpty() || inputShape.stream().anyMatch(d -> d == null || d < 1)) {
                    throw new IllegalArgumentException("input_shape must list positive sizes without the batch axis, e.g. [28, 28]; got " + inputShape);
                }
            }
        }

        int[] inputShapeArray() {
            return inputShape == null ? null : inputShape.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    record CompileSpec(OptimizerSpec optimizer, String loss, @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> metrics) {
        CompileSpec {
            if (optimizer == null) optimizer = OptimizerSpec.named("adam");
            if (loss == null || loss.isBlank()) throw new IllegalArgumentException("compile needs a 'loss', e.g. sparse_categorical_crossentropy_from_logits");
            Loss.parse(loss);   // fail while reading the file, with its line, rather than after loading the data
            metrics = metrics == null ? List.of() : List.copyOf(metrics);
        }

        Loss lossFunction() {
            return Loss.parse(loss);
        }
    }

    /**
     * An optimiser by its Keras name with the keys that name takes; every key is optional.
     *
     * @param schedule a learning-rate schedule that starts from {@code learning_rate}
     */
    record OptimizerSpec(String name, Double learningRate, Double momentum, Boolean nesterov, Double weightDecay,
                         @JsonProperty("beta_1") Double beta1, @JsonProperty("beta_2") Double beta2, Double epsilon, Double rho,
                         Double globalClipnorm, ScheduleSpec schedule) {
        static final List<String> NAMES = List.of("sgd", "adam", "adamw", "rmsprop");

        OptimizerSpec {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("optimizer needs a 'name': one of " + String.join(", ", NAMES));
            name = name.trim().toLowerCase(Locale.ROOT);
            if (!NAMES.contains(name)) throw new IllegalArgumentException("unknown optimizer '" + name + "'; use one of " + String.join(", ", NAMES));
            List<String> extra = new ArrayList<>();
            if (momentum != null && !name.equals("sgd")) extra.add("momentum");
            if (nesterov != null && !name.equals("sgd")) extra.add("nesterov");
            if (weightDecay != null && !name.equals("adamw")) extra.add("weight_decay");
            if (beta1 != null && !name.startsWith("adam")) extra.add("beta_1");
            if (beta2 != null && !name.startsWith("adam")) extra.add("beta_2");
            if (epsilon != null && name.equals("sgd")) extra.add("epsilon");
            if (rho != null && !name.equals("rmsprop")) extra.add("rho");
            if (!extra.isEmpty()) {
                throw new IllegalArgumentException("optimizer " + name + " does not take " + String.join(", ", extra) + "; its keys are " + keysOf(name));
            }
        }

        /** {@code optimizer: adam} is short for {@code optimizer: {name: adam}}. */
        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        static OptimizerSpec named(String name) {
            return new OptimizerSpec(name, null, null, null, null, null, null, null, null, null, null);
        }

        private static String keysOf(String name) {
            String common = "learning_rate, global_clipnorm, schedule";
            return switch (name) {
                case "sgd" -> common + ", momentum, nesterov";
                case "adam" -> common + ", beta_1, beta_2, epsilon";
                case "adamw" -> common + ", beta_1, beta_2, epsilon, weight_decay";
                default -> common + ", rho, epsilon";
            };
        }

        /** The optimiser; {@code totalSteps} (optimiser steps in the whole run) is the default length of a cosine schedule. */
        Optimizer create(long totalSteps) {
            double lr = learningRate != null ? learningRate : name.equals("sgd") ? 0.01 : 0.001;   // Keras's defaults
            LearningRateSchedule s = schedule == null ? LearningRateSchedule.constant(lr) : schedule.create(lr, totalSteps);
            Optimizer o = switch (name) {
                case "sgd" -> new Sgd(s, orElse(momentum, 0.0), nesterov != null && nesterov);
                case "adam" -> new Adam(s, orElse(beta1, 0.9), orElse(beta2, 0.999), orElse(epsilon, 1e-7), 0);
                case "adamw" -> new Adam(s, orElse(beta1, 0.9), orElse(beta2, 0.999), orElse(epsilon, 1e-7), orElse(weightDecay, 0.004));
                default -> new RmsProp(s, orElse(rho, 0.9), orElse(epsilon, 1e-7));
            };
            if (globalClipnorm != null) o.clipGlobalNorm(globalClipnorm);
            return o;
        }
    }

    /**
     * A learning-rate schedule starting from the optimiser's learning rate.
     *
     * @param name          step_decay, exponential_decay or cosine_decay
     * @param decaySteps    exponential_decay: steps per decay period
     * @param decayRate     exponential_decay: factor per period
     * @param staircase     exponential_decay: decay in whole periods
     * @param stepSize      step_decay: steps between drops
     * @param gamma         step_decay: factor per drop
     * @param warmupSteps   cosine_decay: linear warm-up steps (default 0)
     * @param totalSteps    cosine_decay: steps until the minimum (default: the whole run)
     * @param minLearningRate cosine_decay: the final learning rate (default 0)
     */
    record ScheduleSpec(String name, Long decaySteps, Double decayRate, Boolean staircase, Long stepSize, Double gamma,
                        Long warmupSteps, Long totalSteps, Double minLearningRate) {
        static final List<String> NAMES = List.of("step_decay", "exponential_decay", "cosine_decay");

        ScheduleSpec {
            if (name == null || !NAMES.contains(name.trim().toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("schedule needs a 'name': one of " + String.join(", ", NAMES) + (name == null ? "" : ", got '" + name + "'"));
            }
            name = name.trim().toLowerCase(Locale.ROOT);
            // Check what each schedule needs and takes here, while the file is read, rather than when training starts.
            List<String> extra = new ArrayList<>();
            boolean step = name.equals("step_decay"), exponential = name.equals("exponential_decay"), cosine = name.equals("cosine_decay");
            if (step && (stepSize == null || gamma == null)) throw new IllegalArgumentException("schedule step_decay needs 'step_size' and 'gamma'");
            if (exponential && (decaySteps == null || decayRate == null)) throw new IllegalArgumentException("schedule exponential_decay needs 'decay_steps' and 'decay_rate'");
            if (!exponential && decaySteps != null) extra.add("decay_steps");
            if (!exponential && decayRate != null) extra.add("decay_rate");
            if (!exponential && staircase != null) extra.add("staircase");
            if (!step && stepSize != null) extra.add("step_size");
            if (!step && gamma != null) extra.add("gamma");
            if (!cosine && warmupSteps != null) extra.add("warmup_steps");
            if (!cosine && totalSteps != null) extra.add("total_steps");
            if (!cosine && minLearningRate != null) extra.add("min_learning_rate");
            if (!extra.isEmpty()) {
                throw new IllegalArgumentException("schedule " + name + " does not take " + String.join(", ", extra) + "; its keys are "
                        + (step ? "step_size, gamma" : exponential ? "decay_steps, decay_rate, staircase" : "warmup_steps, total_steps, min_learning_rate"));
            }
        }

        LearningRateSchedule create(double lr, long runSteps) {
            return switch (name) {
                case "step_decay" -> new LearningRateSchedule.StepDecay(lr, stepSize, gamma);
                case "exponential_decay" -> new LearningRateSchedule.ExponentialDecay(lr, decaySteps, decayRate, staircase != null && staircase);
                default -> new LearningRateSchedule.CosineDecay(lr, orElse(warmupSteps, 0L), orElse(totalSteps, Math.max(runSteps, orElse(warmupSteps, 0L) + 1)),
                        orElse(minLearningRate, 0.0));
            };
        }
    }

    /** Keras's {@code fit} arguments; null keys take Keras's defaults (1 epoch, batch 32, no split, shuffled) and seed 42. */
    record FitSpec(Integer epochs, Integer batchSize, Double validationSplit, Boolean shuffle, Long seed) {
        FitSpec {
            if (epochs == null) epochs = 1;
            if (batchSize == null) batchSize = 32;
            if (validationSplit == null) validationSplit = 0.0;
            if (shuffle == null) shuffle = true;
            if (seed == null) seed = 42L;
            if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
            if (batchSize < 1) throw new IllegalArgumentException("batch_size must be >= 1, got " + batchSize);
            if (!(validationSplit >= 0 && validationSplit < 1)) throw new IllegalArgumentException("validation_split must be in [0, 1), got " + validationSplit);
        }

        FitSpec withEpochs(int e) {
            return new FitSpec(e, batchSize, validationSplit, shuffle, seed);
        }
    }

    /** A callback entry: {@code {type: early_stopping, patience: 3}}. Paths are relative to the run's output folder. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
    @JsonSubTypes({
        @JsonSubTypes.Type(value = EarlyStoppingSpec.class, name = "early_stopping"),
        @JsonSubTypes.Type(value = CsvLoggerSpec.class, name = "csv_logger"),
        @JsonSubTypes.Type(value = ModelCheckpointSpec.class, name = "model_checkpoint"),
        @JsonSubTypes.Type(value = ReduceLrOnPlateauSpec.class, name = "reduce_lr_on_plateau"),
    })
    sealed interface CallbackSpec permits EarlyStoppingSpec, CsvLoggerSpec, ModelCheckpointSpec, ReduceLrOnPlateauSpec {
        Callback create(Path outputDir);

        /** The monitored log key, or null for callbacks that watch nothing. */
        default String monitored() {
            return null;
        }
    }

    record EarlyStoppingSpec(String monitor, Integer patience, Boolean restoreBestWeights, Double minDelta, String mode,
                             Integer startFromEpoch, Double baseline) implements CallbackSpec {
        EarlyStoppingSpec {
            if (monitor == null) monitor = "val_loss";
            mode = parseMode(mode);
        }

        @Override
        public Callback create(Path outputDir) {
            EarlyStopping.Config c = EarlyStopping.Config.defaults().withMonitor(new Monitor(monitor, Monitor.Mode.valueOf(mode), orElse(minDelta, 0.0)))
                    .withPatience(orElse(patience, 0)).withRestoreBestWeights(restoreBestWeights != null && restoreBestWeights)
                    .withStartFromEpoch(orElse(startFromEpoch, 0)).withBaseline(orElse(baseline, Double.NaN));
            return new EarlyStopping(c);
        }

        @Override
        public String monitored() {
            return monitor;
        }
    }

    record CsvLoggerSpec(String path, Boolean append) implements CallbackSpec {
        @Override
        public Callback create(Path outputDir) {
            return new CsvLogger(outputDir.resolve(path == null ? "log.csv" : path), append != null && append);
        }
    }

    record ModelCheckpointSpec(String path, String monitor, Boolean saveBestOnly, String mode) implements CallbackSpec {
        ModelCheckpointSpec {
            if (monitor == null) monitor = "val_loss";
            mode = parseMode(mode);
        }

        @Override
        public Callback create(Path outputDir) {
            String pattern = outputDir.resolve(path == null ? "checkpoint.kiln" : path).toString();
            return new ModelCheckpoint(new ModelCheckpoint.Config(pattern, new Monitor(monitor, Monitor.Mode.valueOf(mode), 0),
                    saveBestOnly != null && saveBestOnly));
        }

        @Override
        public String monitored() {
            return saveBestOnly != null && saveBestOnly ? monitor : null;
        }
    }

    record ReduceLrOnPlateauSpec(String monitor, Double factor, Integer patience, Double minDelta, Integer cooldown, Double minLr,
                                 String mode) implements CallbackSpec {
        ReduceLrOnPlateauSpec {
            if (monitor == null) monitor = "val_loss";
            mode = parseMode(mode);
        }

        @Override
        public Callback create(Path outputDir) {
            ReduceLROnPlateau.Config d = ReduceLROnPlateau.Config.defaults();
            return new ReduceLROnPlateau(new ReduceLROnPlateau.Config(
                    new Monitor(monitor, Monitor.Mode.valueOf(mode), orElse(minDelta, d.monitor().minDelta())),
                    orElse(factor, d.factor()), orElse(patience, d.patience()), orElse(cooldown, d.cooldown()), orElse(minLr, d.minLr())));
        }

        @Override
        public String monitored() {
            return monitor;
        }
    }

    private static String parseMode(String mode) {
        String m = mode == null ? "AUTO" : mode.trim().toUpperCase(Locale.ROOT);
        if (!List.of("AUTO", "MIN", "MAX").contains(m)) throw new IllegalArgumentException("mode must be auto, min or max, got '" + mode + "'");
        return m;
    }

    private static <T> T orElse(T v, T fallback) {
        return v != null ? v : fallback;
    }
}
