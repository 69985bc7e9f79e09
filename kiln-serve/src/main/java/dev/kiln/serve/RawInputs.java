package dev.kiln.serve;

import dev.kiln.core.Shape;
import dev.kiln.data.InvalidDataException;
import dev.kiln.data.image.ImageOptions;
import dev.kiln.data.image.Images;
import dev.kiln.data.text.Sequences;
import dev.kiln.data.text.Tokenizer;
import dev.kiln.data.text.Tokenizers;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Raw instances of a predict request turned into a model's input: a string, for a model saved with its
 * tokenizer in the file's {@code preprocessing} entry, and {@code {"b64": "..."}}, a base64 PNG or JPEG image
 * (TensorFlow Serving's form), for a model whose input is image-shaped. Immutable and thread-safe.
 *
 * <p>Text is encoded with the model's own tokenizer and padded and truncated as {@code kiln predict} and
 * {@code TextDataset.encode} do (Keras's defaults: padding with id 0 before the tokens, and an over-long text
 * keeps its last {@code timesteps} tokens). Images are decoded with {@code javax.imageio}, made grey or RGB
 * to match the input's channels, resized bilinearly to its height and width and scaled to [0, 1] by
 * kiln-data's {@link Images#convert}. Every refusal is an {@link ApiException} 400 naming the instance.
 */
final class RawInputs {
    /** Largest decoded image accepted, in pixels (a small PNG can declare an enormous canvas). */
    static final long MAX_PIXELS = 4096L * 4096;

    private final int[] inputShape;
    private final Tokenizer tokenizer;
    private final String tokenizerProblem;   // the model carries preprocessing that is not a readable tokenizer
    private final ImageOptions image;        // null when the input is not image-shaped

    RawInputs(int[] inputShape, String preprocessing) {
        this.inputShape = inputShape.clone();
        Tokenizer t = null;
        String problem = null;
        if (preprocessing != null) {
            try {
                t = Tokenizers.fromJson(preprocessing);
            } catch (RuntimeException e) {
                problem = e.getMessage();
            }
        }
        this.tokenizer = t;
        this.tokenizerProblem = problem;
        int[] hwc = imageShape(inputShape);
        this.image = hwc == null ? null : ImageOptions.of(hwc[0], hwc[1], hwc[2]);
    }

    /** Whether strings are accepted: the model carries a tokenizer and takes a sequence of token ids. */
    boolean takesText() {
        return tokenizer != null && inputShape.length == 1;
    }

    /** Whether {@code {"b64": ...}} images are accepted. */
    boolean takesImages() {
        return image != null && tokenizer == null;
    }

    /** A text instance as padded token ids (floats), {@code timesteps} of them. */
    float[] text(String text, int index) {
        if (tokenizer == null) {
            if (tokenizerProblem != null) {
                throw bad("instance " + index + ": a string was sent but the model's saved tokenizer cannot be read (" + tokenizerProblem
                        + "); send numbers shaped " + Shape.str(inputShape));
            }
            throw bad("instance " + index + ": a string was sent but this model carries no tokenizer, so it takes no raw text; send "
                    + (takesImages() ? "numbers shaped " + Shape.str(inputShape) + " or an image as {\"b64\": \"<base64 PNG or JPEG>\"}"
                    : "numbers shaped " + Shape.str(inputShape)));
        }
        if (inputShape.length != 1) {
            throw bad("instance " + index + ": the model carries a tokenizer but takes inputs shaped " + Shape.str(inputShape)
                    + ", not a sequence of token ids (timesteps,); send numbers");
        }
        if (text.isBlank()) throw bad("instance " + index + ": the text is empty; send some text to classify, e.g. \"WIN a free prize\"");
        int[] ids = tokenizer.encode(text);
        if (ids.length == 0) {
            throw bad("instance " + index + ": the text has no tokens the model's tokenizer keeps (only punctuation or spaces?); send some words");
        }
        // Over-long texts keep their last inputShape[0] tokens, as kiln predict does.
        return Sequences.padToFloats(List.of(ids), inputShape[0], Sequences.Padding.PRE, Sequences.Truncating.PRE, Tokenizer.PAD);
    }

    /**
     * For a text model, refuses number instances that are not token ids (whole numbers in
     * {@code [0, vocabularySize)}) with a 400 before they reach the batcher, where a bad id would fail the
     * whole batch, other requests' instances included.
     */
    void checkTokenIds(float[][] rows) {
        if (!takesText()) return;
        int vocabulary = tokenizer.vocabularySize();
        for (int i = 0; i < rows.length; i++) {
            float[] row = rows[i];
            for (int j = 0; j < row.length; j++) {
                float v = row[j];
                if (v < 0 || v >= vocabulary || v != Math.rint(v)) {
                    throw bad("instance " + i + ": position " + j + " holds " + v + ", but this text model takes token ids, whole numbers in [0, "
                            + vocabulary + "); send the text itself as a string");
                }
            }
        }
    }

    /** A base64 PNG or JPEG instance as the model's input, channels-last, in [0, 1]. */
    float[] image(String b64, int index) {
        if (tokenizer != null) {
            throw bad("instance " + index + ": an image was sent but this is a text model (it carries a tokenizer); send the text as a string");
        }
        if (image == null) {
            throw bad("instance " + index + ": an image was sent but the model's input shape " + Shape.str(inputShape)
                    + " is not an image (H, W), (H, W, 1), (H, W, 3), (1, H, W) or a square vector; send numbers");
        }
        if (b64.isEmpty()) throw bad("instance " + index + ": \"b64\" is empty; send a base64-encoded PNG or JPEG image");
        byte[] bytes;
        try {
            bytes = Base64.getMimeDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw bad("instance " + index + ": \"b64\" is not valid base64 (" + e.getMessage() + "); send a base64-encoded PNG or JPEG image");
        }
        if (bytes.length == 0) throw bad("instance " + index + ": \"b64\" is not valid base64 (it decodes to nothing); send a base64-encoded PNG or JPEG image");
        BufferedImage img = decode(bytes, index);
        try {
            return Images.convert(img, "instance " + index, image);
        } catch (InvalidDataException | IllegalArgumentException e) {
            throw bad("instance " + index + ": " + e.getMessage());
        }
    }

    /** Reads the image, checking its declared size before decoding the pixels. */
    private static BufferedImage decode(byte[] bytes, int index) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw bad("instance " + index + ": \"b64\" does not hold an image javax.imageio can read; send a PNG or JPEG image");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w * h > MAX_PIXELS) {
                    throw bad("instance " + index + ": the image is " + w + "×" + h + " pixels; at most " + MAX_PIXELS + " pixels are accepted; "
                            + "shrink it first");
                }
                BufferedImage img = reader.read(0);
                if (img == null) throw bad("instance " + index + ": the image could not be decoded; send a PNG or JPEG image");
                return img;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ApiException a) throw a;
            // ImageIO reports damaged files as IIOException, and sometimes as a RuntimeException from a codec.
            throw bad("instance " + index + ": the image is damaged or unsupported (" + e.getMessage() + "); send a PNG or JPEG image");
        }
    }

    /** (height, width, channels) of an image-shaped input, or null: (H, W), (H, W, 1|3), (1, H, W), a square (H·W,) vector. */
    static int[] imageShape(int[] s) {
        if (s.length == 2) return new int[] {s[0], s[1], 1};
        if (s.length == 3 && (s[2] == 1 || s[2] == 3)) return new int[] {s[0], s[1], s[2]};
        if (s.length == 3 && s[0] == 1) return new int[] {s[1], s[2], 1};
        if (s.length == 1 && s[0] > 1) {
            int side = (int) Math.round(Math.sqrt(s[0]));
            if (side * side == s[0]) return new int[] {side, side, 1};
        }
        return null;
    }

    private static ApiException bad(String message) {
        return new ApiException(400, message);
    }
}
