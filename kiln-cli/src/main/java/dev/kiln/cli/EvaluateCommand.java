package dev.kiln.cli;

import dev.kiln.data.DataSource;
import dev.kiln.data.Dataset;
import dev.kiln.nn.Model;
import dev.kiln.nn.io.AtomicFiles;
import dev.kiln.nn.metrics.ConfusionMatrix;
import dev.kiln.nn.metrics.Evaluation;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
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
 * {@code kiln evaluate <model.kiln> <data>}: loss and accuracy, the per-class precision / recall / F1
 * report and the confusion matrix of a saved model on a dataset's test split, a folder of IDX files or a CSV file.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate a saved model: loss, accuracy, per-class precision/recall/F1 and the confusion matrix.")
final class EvaluateCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelFile modelFile;

    @Parameters(index = "1", paramLabel = "<data>",
            description = "fashion-mnist, fashion-mnist-subset or mnist (their test split), a folder with IDX files, or a CSV file.")
    String data;

    @Option(names = "--label-column", paramLabel = "NAME", defaultValue = "label", description = "The CSV column holding class ids or names (default: ${DEFAULT-VALUE}).")
    String labelColumn;

    @Option(names = "--csv", paramLabel = "FILE", description = "Also write the confusion matrix to FILE as CSV.")
    Path csv;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "256", description = "Samples per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Mixin
    DataOptions dataOptions;

    @Override
    public Integer call() throws IOException {
        if (batchSize < 1) throw new ParameterException(spec.commandLine(), "--batch-size must be at least 1, got " + batchSize);
        Model model = modelFile.load();
        if (!DataSets.NAMES.contains(data.toLowerCase(Locale.ROOT)) && !java.nio.file.Files.exists(Path.of(data))) {
            throw new ParameterException(spec.commandLine(), "data not found: " + data + "; give one of " + String.join(", ", DataSets.NAMES)
                    + ", a folder with IDX files, or a CSV file");
        }
        PrintStream out = main.out();
        DataSource source = dataOptions.applyTo(main.dataSource());
        DataSets.Loaded loaded = DataSets.forEvaluation(data, labelColumn, source, out);
        Dataset test = DataSets.conform(loaded.test(), model, loaded.description());

        out.printf(Locale.ROOT, "Model %s on %s: %,d samples%n", modelFile.path, loaded.description(), test.size());
        if (model.loss() != null) {
            Map<String, Double> r = model.evaluate(test, batchSize);
            out.printf(Locale.ROOT, "Loss (%s): %.4f%n", model.loss().keras(), r.get("loss"));
        }
        ConfusionMatrix matrix = Evaluation.of(model, test, batchSize);
        out.printf(Locale.ROOT, "Accuracy: %.4f%n%n", matrix.accuracy());
        out.println(matrix.report());
        out.println();
        out.println("Confusion matrix (rows: true class, columns: predicted class):");
        out.println(matrix);
        if (csv != null) {
            AtomicFiles.writeString(csv, matrix.toCsv());
            out.println("Wrote the confusion matrix to " + csv);
        }
        return 0;
    }
}
