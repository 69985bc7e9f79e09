package dev.kiln.cli;

import dev.kiln.data.text.Tokenizer;
import dev.kiln.data.text.Tokenizers;
import dev.kiln.nn.Model;
import dev.kiln.nn.text.Generator;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code kiln generate <model.kiln> --prompt TEXT --tokens N}: samples text from a saved language model (a
 * GPT built by {@code Gpt.build}) whose file carries its tokenizer. Text is printed as it is generated; the
 * token rate goes to standard error.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text with a saved language model (GPT).")
final class GenerateCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<model.kiln>", description = "A language model saved with its tokenizer (e.g. by examples/CharGpt.java).")
    Path modelFile;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "\n", description = "Text to continue (default: a newline).")
    String prompt;

    @Option(names = "--tokens", paramLabel = "N", defaultValue = "200", description = "How many tokens to generate (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.8", description = "Sampling temperature; 0 picks the most likely token (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "Sample only from the K most likely tokens; 0 = all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1.0", description = "Nucleus sampling: the smallest set of tokens with probability >= P (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Random seed; the same seed gives the same text (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--no-cache", description = "Recompute the whole context for every token instead of using the key/value cache (slower; for comparison).")
    boolean noCache;

    @Override
    public Integer call() throws IOException {
        if (tokens < 0 || tokens > 100_000) throw new ParameterException(spec.commandLine(), "--tokens must be in [0, 100000], got " + tokens);
        Generator.Sampling sampling;
        try {
            sampling = new Generator.Sampling(temperature, topK, topP, seed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Model model = Models.load(spec, modelFile);
        if (model.preprocessing() == null) {
            throw new CliException(modelFile + " carries no tokenizer, so its token ids cannot be turned into text; save the model after "
                    + "model.preprocessing(tokenizer.toJson()) (as examples/CharGpt.java does)");
        }
        Tokenizer tokenizer = Tokenizers.fromJson(model.preprocessing());
        Generator generator = new Generator(model, !noCache);
        int[] ids = tokenizer.encode(prompt);
        if (ids.length == 0) throw new CliException("the prompt is empty after tokenizing; give at least one character of text");
        PrintStream out = main.out();
        out.print(prompt);
        int[] generated = new int[tokens];
        int[] count = {0};
        String[] shown = {""};
        long start = System.nanoTime();
        generator.generate(ids, tokens, sampling, id -> {
            generated[count[0]++] = id;
            // Decode the whole continuation and print what is new: a byte-level BPE token may end mid-character.
            String text = tokenizer.decode(Arrays.copyOf(generated, count[0]));
            if (text.startsWith(shown[0])) out.print(text.substring(shown[0].length()));
            shown[0] = text;
            out.flush();
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        out.println();
        main.err().printf(Locale.ROOT, "(%d tokens in %.2f s, %.1f tokens/s%s)%n", tokens, seconds, tokens / Math.max(seconds, 1e-9),
                noCache ? ", no cache" : ", key/value cache");
        return 0;
    }
}
