/**
 * Datasets, loaders and transforms.
 *
 * <ul>
 *   <li>{@link dev.kiln.data.Dataset}: an immutable in-memory classification set (one row-major
 *       {@code float[]} of features and an {@code int[]} of class indices) with subsets, seeded
 *       train/validation {@linkplain dev.kiln.data.Dataset#split splits}, {@linkplain
 *       dev.kiln.data.Dataset#batches mini-batches} ({@link dev.kiln.data.Batch}) and
 *       {@linkplain dev.kiln.data.Dataset#map feature transforms}.</li>
 *   <li>Loaders: {@link dev.kiln.data.Idx} (the MNIST file format, raw or gzip), {@link dev.kiln.data.Csv}
 *       (a header row, numeric features and a label column), and the datasets
 *       {@link dev.kiln.data.FashionMnist} (also as a subset shipped in the jar) and
 *       {@link dev.kiln.data.Mnist}, found through a {@link dev.kiln.data.DataSource}: an explicit folder,
 *       {@code $KILN_DATA}, Debian's {@code /usr/share/datasets}, the user cache, then, only when allowed, a
 *       checked download by {@link dev.kiln.data.Downloader}.</li>
 *   <li>Transforms: {@link dev.kiln.data.Transforms#scale}, {@link dev.kiln.data.Standardizer} and
 *       {@link dev.kiln.data.MinMax} (fitted on training data, applied to any), and
 *       {@link dev.kiln.data.Transforms#oneHot}.</li>
 * </ul>
 *
 * <p>Failures are unchecked: {@link dev.kiln.data.InvalidDataException} for damaged input (naming the
 * file, line and column), {@link dev.kiln.data.DatasetNotFoundException} listing every place looked at,
 * {@link dev.kiln.data.DownloadException} naming the URL and digests, and
 * {@link java.io.UncheckedIOException} for I/O errors.
 */
package dev.kiln.data;
