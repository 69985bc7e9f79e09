package dev.kiln.cli;

import dev.kiln.nn.Model;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The {@code <model.kiln>} argument that {@code evaluate}, {@code predict} and {@code summary} take first,
 * mixed into each, with its loading: a missing file is a usage error of the command that was given it.
 */
final class ModelFile {
    /** The command this is mixed into, not the mixin itself: usage errors must show that command's help. */
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Parameters(index = "0", paramLabel = "<model.kiln>", description = "A model saved by kiln train or Model.save.")
    Path path;

    /** The model, loaded as {@link Models#load} does (exit 2 when the file is missing). */
    Model load() throws IOException {
        return Models.load(command, path);
    }
}
