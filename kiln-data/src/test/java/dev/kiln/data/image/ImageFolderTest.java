package dev.kiln.data.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.data.Dataset;
import dev.kiln.data.InvalidDataException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir Path dir;

    static Path rgb(Path file, int w, int h, int rgb, String format) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, rgb);
        Files.createDirectories(file.getParent());
        ImageIO.write(img, format, file.toFile());
        return file;
    }

    static Path grey(Path file, int w, int h, int value) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.getRaster().setSample(x, y, 0, value);
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    @Test
    void classesAreSortedSubFoldersAndSamplesAreChannelsLast() throws IOException {
        rgb(dir.resolve("dog/b.png"), 4, 4, 0x00FF00, "png");
        rgb(dir.resolve("dog/a.png"), 4, 4, 0x0000FF, "png");
        rgb(dir.resolve("cat/1.jpg"), 8, 8, 0xFF0000, "jpg");
        Files.writeString(dir.resolve("cat/notes.txt"), "not an image");
        Files.writeString(dir.resolve("cat/.hidden.png"), "skipped");
        ImageFolder f = ImageFolder.load(dir, ImageOptions.of(4, 4, 3));
        Dataset d = f.dataset();
        assertThat(d.classNames()).containsExactly("cat", "dog");
        assertThat(d.labels()).containsExactly(0, 1, 1);
        assertThat(f.files()).containsExactly(dir.resolve("cat/1.jpg"), dir.resolve("dog/a.png"), dir.resolve("dog/b.png"));
        assertThat(d.sampleShape()).containsExactly(4, 4, 3);
        float[] x = d.features().toFloatArray();
        // dog/a.png is pure blue, exactly, at every pixel (PNG is lossless).
        for (int p = 0; p < 16; p++) assertThat(Arrays.copyOfRange(x, 48 + p * 3, 48 + p * 3 + 3)).containsExactly(0f, 0f, 1f);
        // cat/1.jpg was 8×8 red, resized to 4×4: JPEG is lossy, so close to red.
        assertThat(x[0]).isCloseTo(1f, within(0.03f));
        assertThat(x[1]).isCloseTo(0f, within(0.03f));
    }

    @Test
    void greyAndColourAreConverted() throws IOException {
        grey(dir.resolve("a/g.png"), 3, 3, 51);
        rgb(dir.resolve("b/c.png"), 3, 3, 0xFF0000, "png");
        Dataset rgbData = ImageFolder.load(dir, ImageOptions.of(3, 3, 3)).dataset();
        assertThat(Arrays.copyOfRange(rgbData.features().toFloatArray(), 0, 3)).containsExactly(0.2f, 0.2f, 0.2f);
        Dataset greyData = ImageFolder.load(dir, ImageOptions.of(3, 3, 1)).dataset();
        float[] g = greyData.features().toFloatArray();
        assertThat(g[0]).isEqualTo(0.2f);                        // grey read from the raster, not brightened
        assertThat(g[9]).isCloseTo(0.299f, within(1e-6f));       // red → BT.601 luma
        assertThat(greyData.sampleShape()).containsExactly(3, 3, 1);
    }

    @Test
    void strictOptionsNameTheFileWithTheWrongSizeOrChannels() throws IOException {
        rgb(dir.resolve("a/ok.png"), 4, 4, 0, "png");
        rgb(dir.resolve("a/big.png"), 5, 4, 0, "png");
        assertThatThrownBy(() -> ImageFolder.load(dir, ImageOptions.of(4, 4, 3).withResize(false)))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageContaining(dir.resolve("a/big.png").toString())
                .hasMessageContaining("5×4").hasMessageContaining("4×4 is expected");
        Files.delete(dir.resolve("a/big.png"));
        assertThatThrownBy(() -> ImageFolder.load(dir, ImageOptions.of(4, 4, 1).withConvertChannels(false)))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageContaining(dir.resolve("a/ok.png").toString())
                .hasMessageContaining("has 3 colour channels").hasMessageContaining("1 (grey) is expected");
    }

    @Test
    void corruptImagesAndEmptyClassFoldersAreNamed() throws IOException {
        rgb(dir.resolve("a/ok.png"), 4, 4, 0, "png");
        Files.createDirectories(dir.resolve("b"));
        Files.writeString(dir.resolve("b/readme.txt"), "no images here");
        assertThatThrownBy(() -> ImageFolder.load(dir, ImageOptions.of(4, 4, 3)))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageContaining("class folder " + dir.resolve("b") + " has no images");

        Path bad = dir.resolve("b/broken.png");
        Files.writeString(bad, "this is not a PNG");
        assertThatThrownBy(() -> ImageFolder.load(dir, ImageOptions.of(4, 4, 3)))
                .isInstanceOf(InvalidDataException.class)
                .hasMessageContaining(bad.toString()).hasMessageContaining("PNG or JPEG");

        byte[] png = Files.readAllBytes(dir.resolve("a/ok.png"));
        Files.write(bad, Arrays.copyOf(png, png.length / 2));   // a truncated PNG
        assertThatThrownBy(() -> ImageFolder.load(dir, ImageOptions.of(4, 4, 3)))
                .isInstanceOf(InvalidDataException.class).hasMessageContaining(bad.toString());

        assertThatThrownBy(() -> ImageFolder.load(dir.resolve("a"), ImageOptions.of(4, 4, 3)))
                .isInstanceOf(InvalidDataException.class).hasMessageContaining("has no sub-folders");
    }

    @Test
    void bilinearResizeSamplesPixelCentres() {
        // A 1×4 ramp 0, 1, 2, 3 halved to 1×2: centres fall at 0.5 and 2.5 → 0.5 and 2.5.
        assertThat(Images.resize(new float[] {0, 1, 2, 3}, 1, 4, 1, 1, 2)).containsExactly(0.5f, 2.5f);
        // Doubled 0, 1 → 0, 0.25, 0.75, 1 (edges clamp).
        assertThat(Images.resize(new float[] {0, 1}, 1, 2, 1, 1, 4)).containsExactly(0f, 0.25f, 0.75f, 1f);
        // Same size is the identity; channels stay apart.
        float[] img = {1, 2, 3, 4, 5, 6, 7, 8};
        assertThat(Images.resize(img, 2, 2, 2, 2, 2)).containsExactly(img);
    }

    @Test
    void channelNormalizationFitsPerChannelStatistics() {
        // Two samples of (1, 2, 2): channel 0 values 0, 2, 4, 6; channel 1 all 5 but one 7.
        float[] x = {0, 5, 2, 5, 4, 5, 6, 7};
        Dataset d = new Dataset(x, new int[] {1, 2, 2}, new int[] {0, 1}, 2);
        ChannelNormalization n = ChannelNormalization.fit(d);
        assertThat(n.mean()).containsExactly(3f, 5.5f);
        assertThat(n.std()[0]).isCloseTo((float) Math.sqrt(5), within(1e-6f));
        float[] y = d.map(n).features().toFloatArray();
        assertThat(y[0]).isCloseTo(-3 / (float) Math.sqrt(5), within(1e-6f));
        assertThat(y[7]).isCloseTo(1.5f / n.std()[1], within(1e-6f));
        assertThatThrownBy(() -> new ChannelNormalization(new float[] {0}, new float[] {0}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("std must be positive");
    }
}
