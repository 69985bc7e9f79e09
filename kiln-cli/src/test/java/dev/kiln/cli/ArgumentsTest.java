package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad arguments exit 2 with one error line and the usage; help and version exit 0. */
class ArgumentsTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            (no arguments)                        | missing command
            frobnicate                            | unknown command 'frobnicate'; choose one of train, evaluate, predict, summary
            --frobnicate                          | Unknown option: '--frobnicate'
            train                                 | Missing required parameter: '<config.yaml>'
            train no-such-config.yaml             | config file not found: no-such-config.yaml
            train a.yaml b.yaml                   | Unmatched argument at index 2: 'b.yaml'
            train --epochs                        | Missing required parameter for option '--epochs'
            evaluate                              | Missing required parameters: '<model.kiln>', '<data>'
            evaluate no-such-model.kiln mnist     | model file not found: no-such-model.kiln
            predict no-such-model.kiln x.png      | input not found: x.png
            summary                               | Missing required parameter: '<model.kiln>'
            summary a.kiln b.kiln                 | Unmatched argument at index 2: 'b.kiln'
            summary no-such-model.kiln            | model file not found: no-such-model.kiln
            """)
    void badArgumentsExit2WithUsage(String args, String expected) {
        String[] argv = args.equals("(no arguments)") ? new String[0] : args.split(" ");
        Cli.Result r = Cli.run(argv);
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err().lines().findFirst().orElseThrow()).startsWith("error: ").contains(expected);
        assertThat(r.err()).contains("Usage: kiln");
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void badOptionValuesExit2() throws Exception {
        Path config = dir.resolve("c.yaml");
        Files.writeString(config, WorkflowTest.MLP);
        Cli.Result r = Cli.run("train", config.toString(), "--epochs", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: --epochs must be at least 1, got 0").contains("Usage: kiln train");

        r = Cli.run("train", config.toString(), "--epochs", "many");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("'many' is not an int");
    }

    @Test
    void versionAndHelpExit0() {
        Cli.Result r = Cli.run("--version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("kiln " + dev.kiln.nn.Kiln.VERSION + "\n");

        r = Cli.run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: kiln", "train", "evaluate", "predict", "summary");

        r = Cli.run("train", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: kiln train", "--epochs=N", "--output=DIR", "--data-dir=DIR", "--download");
    }
}
