package dev.kiln.cli;

import dev.kiln.data.DataSource;
import dev.kiln.data.Dataset;
import dev.kiln.nn.FitOptions;
import dev.kiln.nn.History;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.callbacks.Callback;
import dev.kiln.nn.callbacks.ProgressBar;
import dev.kiln.nn.io.AtomicFiles;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.LayerConfig;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.metrics.Evaluation;
import dev.kiln.nn.optimizers.Optimizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code kiln train <config.yaml>}: reads the config, loads the data, builds and compiles the model, prints
 * its summary, fits it (validating on the test split unless {@code validation_split} holds data out),
 * reports the test accuracy and writes model.kiln, history.csv, history.json, summary.txt and a copy of the
 * config into the output folder.
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train a model described by a YAML config (see examples/fashion-mnist-mlp.yaml).")
final class TrainCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<config.yaml>", description = "The training config.")
    Path config;

    @Option(names = "--epochs", paramLabel = "N", description = "Train for N epochs instead of the config's fit.epochs.")
    Integer epochs;

    @Option(names = "--output", paramLabel = "DIR", description = "Write the run here instead of the config's output (default runs/<config name>).")
    Path output;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Look for dataset files in DIR first.")
    Path dataDir;

    @Option(names = "--download", description = "Download the dataset if it is not installed (checked against published SHA-256 digests).")
    boolean download;

    @Override
    public Integer call() throws IOException {
        Models.requireFile(spec, config, "config file");
        if (epochs != null && epochs < 1) throw new ParameterException(spec.commandLine(), "--epochs must be at least 1, got " + epochs);
        PrintStream out = main.out();
        TrainConfig cfg = ConfigReader.read(config);
        if (epochs != null) cfg = cfg.withFit(cfg.fit().withEpochs(epochs));
        TrainConfig.FitSpec fit = cfg.fit();
        Path outDir = output != null ? output : cfg.output() != null ? Path.of(cfg.output()) : Path.of("runs", baseName(config));

        DataSource source = main.dataSource();
        if (dataDir != null) source = source.withFolder(dataDir);
        if (download) source = source.allowingDownload();
        DataSets.Loaded data = DataSets.load(cfg.data(), cfg.text(), fit.seed(), source, out);
        int[] inputShape = cfg.model().inputShape() != null ? cfg.model().inputShapeArray() : data.train().sampleShape();
        Dataset train = DataSets.reshape(data.train(), inputShape, data.description());
        Dataset test = data.test() == null ? null : DataSets.reshape(data.test(), inputShape, data.description() + " (test)");
        if (cfg.augment() != null) {
            if (inputShape.length != 2 && inputShape.length != 3) {
                throw new CliException(config + ": augment changes images of shape (height, width) or (height, width, channels), but the model's input is "
                        + dev.kiln.core.Shape.str(inputShape) + "; set model.input_shape, e.g. [28, 28] or [28, 28, 1]");
            }
            train = train.augmented(cfg.augment().create());   // only the training split: validation and test see the stored images
        }

        Model model = build(cfg.model().layers(), inputShape, fit.seed());
        if (data.tokenizer() != null) checkVocabulary(cfg.model().layers(), data.tokenizer().vocabularySize());
        Loss loss = cfg.compile().lossFunction();
        checkClasses(model, loss, train);
        long trainSamples = fit.validationSplit() > 0 ? Math.round(train.size() * (1 - fit.validationSplit())) : train.size();
        long steps = (trainSamples + fit.batchSize() - 1) / fit.batchSize() * fit.epochs();
        Optimizer optimizer = cfg.compile().optimizer().create(steps);
        try {
            model.compile(optimizer, loss, cfg.compile().metrics().toArray(String[]::new));
        } catch (IllegalArgumentException e) {
            throw new CliException(config + ": compile: " + e.getMessage(), e);
        }

        Dataset validation = fit.validationSplit() > 0 ? null : test;
        List<Callback> callbacks = new ArrayList<>();
        for (TrainConfig.CallbackSpec c : cfg.callbacks()) {
            String monitored = c.monitored();
            if (monitored != null && monitored.startsWith("val_") && validation == null && fit.validationSplit() == 0) {
                throw new CliException(config + ": a callback monitors '" + monitored + "' but this run has no validation data; "
                        + "set fit.validation_split (e.g. 0.1), give data.test_path, or monitor '" + monitored.substring(4) + "'");
            }
            try {
                callbacks.add(c.create(outDir));
            } catch (IllegalArgumentException e) {
                throw new CliException(config + ": callbacks: " + e.getMessage(), e);
            }
        }
        callbacks.add(new ProgressBar(out));

        out.println(model.summary());
        out.printf(Locale.ROOT, "Training on %s: %,d samples%s%s, %d epoch%s, batch size %d%n", data.description(), train.size(),
                cfg.augment() == null ? "" : " augmented (" + cfg.augment().describe() + ")",
                validation != null ? String.format(Locale.ROOT, ", validating on the %,d test samples", validation.size())
                        : fit.validationSplit() > 0 ? String.format(Locale.ROOT, " (%.0f%% held out for validation)", fit.validationSplit() * 100) : "",
                fit.epochs(), fit.epochs() == 1 ? "" : "s", fit.batchSize());
        Files.createDirectories(outDir);
        FitOptions options = new FitOptions(fit.epochs(), fit.batchSize(), fit.shuffle(), fit.seed(), validation, fit.validationSplit(), Map.of(), false);
        History history = model.fit(train, options, callbacks.toArray(Callback[]::new));

        String testLine = "";
        if (test != null) {
            Map<String, Double> r = model.evaluate(test);
            double accuracy = r.containsKey("accuracy") ? r.get("accuracy")
                    : loss.isClassification() ? Evaluation.of(model, DataSets.conform(test, inputShape, Models.classes(model), List.of(), "test data")).accuracy() : Double.NaN;
            testLine = String.format(Locale.ROOT, "Test loss: %.4f%n", r.get("loss"))
                    + (Double.isNaN(accuracy) ? "" : String.format(Locale.ROOT, "Test accuracy: %.4f%n", accuracy));
            out.print(testLine);
        } else {
            out.println("No test data (set data.test_path for CSV data), so no test accuracy.");
        }

        Models.recordData(model, data.name(), train.classNames());
        if (data.tokenizer() != null) Models.recordTokenizer(model, data.tokenizer(), cfg.text());
        model.save(outDir.resolve("model.kiln"));
        AtomicFiles.writeString(outDir.resolve("history.csv"), history.toCsv());
        AtomicFiles.writeString(outDir.resolve("history.json"), history.toJson() + "\n");
        AtomicFiles.writeString(outDir.resolve("summary.txt"), summaryText(model, data, history, testLine));
        AtomicFiles.writeString(outDir.resolve("config.yaml"), (epochs == null ? "" : "# trained with --epochs " + epochs + "\n") + Files.readString(config));
        out.println("Wrote model.kiln, history.csv, history.json, summary.txt and config.yaml to " + outDir);
        String dataRef = data.name().equals("csv") || data.name().equals("idx") ? (cfg.data().testPath() != null ? cfg.data().testPath() : cfg.data().path()) : data.name();
        if (data.tokenizer() != null) out.println("Next: kiln predict " + outDir.resolve("model.kiln") + " \"WIN a FREE prize, click now\"");
        else out.println("Next: kiln evaluate " + outDir.resolve("model.kiln") + " " + dataRef);
        return 0;
    }

    private Model build(List<LayerConfig> layers, int[] inputShape, long seed) {
        Sequential model = new Sequential();
        try {
            for (LayerConfig c : layers) model.add(c.create());
            model.seed(seed).build(inputShape);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CliException(config + ": model: " + e.getMessage(), e);
        }
        return model;
    }

    /**
     * Token ids run up to the vocabulary size; an Embedding with fewer rows would fail on the first batch
     * with an index error, so name both numbers before training.
     */
    private void checkVocabulary(List<LayerConfig> layers, int vocabulary) {
        for (LayerConfig c : layers) {
            if (c instanceof Embedding.Config e && e.inputDim() < vocabulary) {
                throw new CliException(config + ": the Embedding has input_dim " + e.inputDim() + " but the tokenizer's vocabulary has "
                        + vocabulary + " ids (text.max_tokens caps it); set input_dim to at least " + vocabulary + " or lower text.max_tokens");
            }
        }
    }

    /** A last layer narrower than the labels fails on the first batch; say so before loading anything else. */
    private void checkClasses(Model model, Loss loss, Dataset train) {
        int[] out = model.outputShape();
        if (!loss.isClassification() || loss.isBinary() || out.length != 1) return;
        if (out[0] < train.numClasses()) {
            throw new CliException(config + ": the last layer has " + out[0] + " outputs but the data has " + train.numClasses()
                    + " classes; set the last Dense layer's units to " + train.numClasses());
        }
    }

    private static String summaryText(Model model, DataSets.Loaded data, History history, String testLine) {
        StringBuilder sb = new StringBuilder(model.summary()).append('\n');
        sb.append("Data: ").append(data.description()).append('\n');
        sb.append("Loss: ").append(model.loss().keras()).append(", optimizer: ").append(model.optimizer().name()).append('\n');
        sb.append("Epochs run: ").append(history.size());
        if (history.stopReason() != null) sb.append(" (").append(history.stopReason()).append(')');
        sb.append('\n');
        if (history.size() > 0) {
            sb.append("Last epoch:");
            for (var e : history.epochs().getLast().entrySet()) sb.append(String.format(Locale.ROOT, " %s=%.4g", e.getKey(), e.getValue()));
            sb.append('\n');
        }
        List<String> names = Models.classNames(model);
        if (!names.isEmpty()) sb.append("Classes: ").append(String.join(", ", names)).append('\n');
        sb.append(testLine).append("Provenance:\n");
        for (String line : Models.provenanceLines(model)) sb.append("  ").append(line).append('\n');
        return sb.toString();
    }

    private static String baseName(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
