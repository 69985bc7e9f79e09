package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.report.Report;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln report} on a run that {@code kiln train} wrote (one epoch on 500 images of the shipped subset). */
class ReportCommandTest {
    @TempDir
    static Path dir;
    static Path run;

    @BeforeAll
    static void train() throws Exception {
        Path config = dir.resolve("tiny.yaml");
        Files.writeString(config, WorkflowTest.MLP.replace("limit: 1000", "limit: 500").replace("units: 128", "units: 16"));
        run = dir.resolve("tiny-run");
        Cli.Result r = Cli.run("train", config.toString(), "--epochs", "2", "--output", run.toString());
        assertThat(r.code()).as(r.toString()).isZero();
    }

    @Test
    void writesTheThreePngsIntoTheRunFolder() throws Exception {
        Cli.Result r = Cli.run("report", run.toString(), "--samples", "16");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("1,000 test samples").contains("Wrote curves.png, confusion.png, predictions.png to " + run);
        for (String name : new String[] {Report.CURVES, Report.CONFUSION, Report.PREDICTIONS}) {
            BufferedImage img = ImageIO.read(run.resolve(name).toFile());
            assertThat(img).as(name).isNotNull();
            assertThat(img.getWidth()).as(name).isGreaterThan(400);
        }
    }

    @Test
    void withoutAConfigItUsesTheDatasetRecordedInTheModel() throws Exception {
        Path copy = dir.resolve("copy");
        Files.createDirectories(copy);
        Files.copy(run.resolve("model.kiln"), copy.resolve("model.kiln"));
        Cli.Result r = Cli.run("report", copy.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("No history.csv").contains("Wrote confusion.png, predictions.png");
        assertThat(copy.resolve(Report.CURVES)).doesNotExist();
    }

    @Test
    void aMissingFolderIsAUsageErrorAndAFolderWithoutAModelIsNamed() throws Exception {
        Cli.Result missing = Cli.run("report", dir.resolve("nope").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("run folder not found: " + dir.resolve("nope"));

        Path empty = Files.createDirectories(dir.resolve("empty"));
        Cli.Result noModel = Cli.run("report", empty.toString());
        assertThat(noModel.code()).isEqualTo(1);
        assertThat(noModel.err()).contains("error: " + empty + " has no model.kiln");
    }
}
