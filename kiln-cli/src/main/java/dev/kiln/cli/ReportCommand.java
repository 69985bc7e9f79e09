package dev.kiln.cli;

import dev.kiln.data.DataSource;
import dev.kiln.data.Dataset;
import dev.kiln.nn.History;
import dev.kiln.nn.Model;
import dev.kiln.report.HistoryFile;
import dev.kiln.report.Report;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code kiln report <run-folder>}: draws a training run as PNGs in its folder: {@code curves.png} from
 * history.csv, and {@code confusion.png} and {@code predictions.png} from model.kiln on the test split of the
 * data named in the run's config.yaml (or in the model's provenance, or by {@code --data}).
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Draw a run's training curves, test confusion matrix and test predictions as PNGs in its folder.")
final class ReportCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<run-folder>", description = "A folder written by kiln train (model.kiln, history.csv, config.yaml).")
    Path run;

    @Option(names = "--data", paramLabel = "DATA",
            description = "Evaluate on this instead of the run's data: fashion-mnist, fashion-mnist-subset, mnist, a folder with IDX files, or a CSV file.")
    String data;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "36", description = "Test images in the prediction grid (default: ${DEFAULT-VALUE}).")
    int samples;

    @Mixin
    DataOptions dataOptions;

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(run)) {
            throw new ParameterException(spec.commandLine(), "run folder not found: " + run + " (expected a folder written by kiln train)");
        }
        if (samples < 1 || samples > 400) throw new ParameterException(spec.commandLine(), "--samples must be between 1 and 400, got " + samples);
        PrintStream out = main.out();
        Path modelFile = run.resolve("model.kiln");
        if (!Files.isRegularFile(modelFile)) {
            throw new CliException(run + " has no model.kiln; is it a folder written by kiln train (its --output)?");
        }
        Model model = Models.load(spec, modelFile);
        Path historyFile = run.resolve("history.csv");
        History history = null;
        if (Files.isRegularFile(historyFile)) {
            history = HistoryFile.read(historyFile);
        } else {
            out.println("No history.csv in " + run + ", so no training curves.");
        }

        DataSource source = dataOptions.applyTo(main.dataSource());
        DataSets.Loaded loaded = testData(model, source, out);
        Dataset test = null;
        if (loaded == null || loaded.test() == null) {
            out.println("No test data for this run (name it with --data), so no confusion matrix or prediction grid.");
        } else {
            test = DataSets.conform(loaded.test(), model, loaded.description());
            out.printf(Locale.ROOT, "Evaluating on %s: %,d test samples%n", loaded.description(), test.size());
        }
        String title = run.toAbsolutePath().normalize().getFileName().toString();
        List<Path> written = Report.write(run, title, history, model, test, samples);
        if (written.isEmpty()) throw new CliException("nothing to draw for " + run + ": it has no history.csv and no test data was found");
        out.println("Wrote " + String.join(", ", written.stream().map(p -> p.getFileName().toString()).toList()) + " to " + run);
        return 0;
    }

    /** The data named by --data, else by the run's config.yaml, else by the dataset recorded in the model; null if none. */
    private DataSets.Loaded testData(Model model, DataSource source, PrintStream out) throws IOException {
        if (data != null) return DataSets.forEvaluation(data, "label", source, out);
        Path config = run.resolve("config.yaml");
        if (Files.isRegularFile(config)) {
            TrainConfig cfg = ConfigReader.read(config);
            return DataSets.load(cfg.data(), cfg.text(), cfg.fit().seed(), source, out);
        }
        String name = model.provenance().get(Models.DATASET);
        if (name != null && DataSets.NAMES.contains(name)) return DataSets.namedTest(name, source, out, "evaluating on the 1,000-image test subset");
        return null;
    }
}
