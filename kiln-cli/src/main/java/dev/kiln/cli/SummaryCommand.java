package dev.kiln.cli;

import dev.kiln.core.Shape;
import dev.kiln.nn.Model;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/** {@code kiln summary <model.kiln>}: the Keras-like layer table, the compile settings and the provenance. */
@Command(name = "summary", mixinStandardHelpOptions = true, description = "Show a saved model's layers, parameter counts and provenance.")
final class SummaryCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Mixin
    ModelFile modelFile;

    @Override
    public Integer call() throws IOException {
        Model model = modelFile.load();
        PrintStream out = main.out();
        out.print(model.summary());
        out.println("Input shape: " + Shape.str(model.inputShape()) + " (without the batch axis)");
        if (model.loss() != null) {
            out.println("Compiled with: loss " + model.loss().keras() + ", optimizer " + model.optimizer().name()
                    + (model.tracksAccuracy() ? ", metrics [accuracy]" : ""));
        }
        List<String> names = Models.classNames(model);
        if (!names.isEmpty()) out.println("Classes: " + String.join(", ", names));
        if (!model.provenance().isEmpty()) {
            out.println("Provenance:");
            for (String line : Models.provenanceLines(model)) out.println("  " + line);
        }
        return 0;
    }
}
