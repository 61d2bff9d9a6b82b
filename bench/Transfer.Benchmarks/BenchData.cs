using System.IO.Compression;
using System.Runtime.InteropServices;
using SkiaSharp;
using Transfer.Images;

namespace Transfer.Benchmarks;

/// <summary>
/// The images a run uses: Fashion-MNIST PNGs written from the Debian package's IDX files (or the 700 PNGs embedded
/// in the QuickStart sample when the package is absent) and 640×480 JPEG "photos" upscaled from them.
/// </summary>
internal sealed class BenchData
{
    public const string DatasetDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Class folder names in Fashion-MNIST label order (as in the QuickStart sample).</summary>
    public static readonly string[] ClassNames = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"];

    private BenchData(string root, IReadOnlyList<ImageEntry> pngs, IReadOnlyList<ImageEntry> photos, string source, int distinct)
    {
        Root = root;
        Pngs = pngs;
        Photos = photos;
        Source = source;
        DistinctPngs = distinct;
    }

    /// <summary>Gets the temporary folder holding everything written for the run.</summary>
    public string Root { get; }

    /// <summary>Gets the 28×28 PNGs (cycled over the embedded ones when the dataset package is absent).</summary>
    public IReadOnlyList<ImageEntry> Pngs { get; }

    /// <summary>Gets the 640×480 JPEGs.</summary>
    public IReadOnlyList<ImageEntry> Photos { get; }

    /// <summary>Gets where the images came from, for the report.</summary>
    public string Source { get; }

    /// <summary>Gets how many different PNG files there are.</summary>
    public int DistinctPngs { get; }

    /// <summary>Gets the first <paramref name="count"/> PNGs as a labelled set with every class.</summary>
    public ImageSet PngSet(int count, int skip = 0) => ImageSet.FromEntries(Pngs.Skip(skip).Take(count), ClassNames);

    public static BenchData Create(int pngCount, int photoCount, string repoRoot, List<string> notes)
    {
        string root = Path.Combine(Path.GetTempPath(), $"transfer-bench-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(root);
        string images = Path.Combine(DatasetDirectory, "train-images-idx3-ubyte.gz");
        string labels = Path.Combine(DatasetDirectory, "train-labels-idx1-ubyte.gz");
        List<ImageEntry> pngs;
        string source;
        int distinct;
        if (File.Exists(images) && File.Exists(labels))
        {
            var (pixels, rows, cols, count) = ReadIdxImages(images);
            var classes = ReadIdxLabels(labels);
            int n = Math.Min(pngCount, count);
            pngs = WritePngs(root, pixels, classes, rows, cols, n);
            source = $"Fashion-MNIST train IDX ({DatasetDirectory}), first {n} images written as {cols}×{rows} grayscale PNGs";
            distinct = n;
            if (n < pngCount)
            {
                notes.Add($"Only {n} Fashion-MNIST images exist; {pngCount} were asked for, so entries repeat.");
                pngs = Cycle(pngs, pngCount);
            }
        }
        else
        {
            var embedded = ImageSet.FromDirectory(Path.Combine(repoRoot, "samples", "QuickStart", "data", "train")).Entries
                .Concat(ImageSet.FromDirectory(Path.Combine(repoRoot, "samples", "QuickStart", "data", "test")).Entries)
                .ToList();
            distinct = embedded.Count;
            pngs = Cycle(embedded, pngCount);
            source = $"the {embedded.Count} PNGs embedded in samples/QuickStart/data (cycled to {pngCount})";
            notes.Add($"{DatasetDirectory} not found (Debian package dataset-fashion-mnist): fell back to the {embedded.Count} embedded PNGs, repeated; the OS file cache makes repeated files cheaper to read.");
        }

        var photos = WritePhotos(root, pngs.Take(Math.Min(photoCount, distinct)).ToList());
        if (photos.Count < photoCount)
        {
            photos = Cycle(photos, photoCount);
        }

        return new BenchData(root, pngs, photos, source, distinct);
    }

    /// <summary>Writes a tab-separated list (label, path) for a child process.</summary>
    public string WriteList(int count)
    {
        string path = Path.Combine(Root, $"list-{count}.tsv");
        File.WriteAllLines(path, Pngs.Take(count).Select(e => $"{e.Label}\t{e.Path}"));
        return path;
    }

    public static List<ImageEntry> ReadList(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => l.Split('\t', 2)).Select(p => ImageEntry.FromFile(p[1], p[0])).ToList();

    public void Delete()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS temp cleaner.
        }
    }

    private static List<ImageEntry> Cycle(List<ImageEntry> source, int count) =>
        Enumerable.Range(0, count).Select(i => source[i % source.Count]).ToList();

    private static (byte[] Pixels, int Rows, int Cols, int Count) ReadIdxImages(string path)
    {
        var bytes = ReadGzip(path);
        if (ReadInt(bytes, 0) != 2051)
        {
            throw new InvalidDataException($"\"{path}\" is not an IDX image file (magic {ReadInt(bytes, 0)}, expected 2051).");
        }

        int count = ReadInt(bytes, 4), rows = ReadInt(bytes, 8), cols = ReadInt(bytes, 12);
        return (bytes[16..], rows, cols, count);
    }

    private static byte[] ReadIdxLabels(string path)
    {
        var bytes = ReadGzip(path);
        if (ReadInt(bytes, 0) != 2049)
        {
            throw new InvalidDataException($"\"{path}\" is not an IDX label file (magic {ReadInt(bytes, 0)}, expected 2049).");
        }

        return bytes[8..];
    }

    private static byte[] ReadGzip(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static int ReadInt(byte[] bytes, int offset) => (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];

    private static List<ImageEntry> WritePngs(string root, byte[] pixels, byte[] labels, int rows, int cols, int count)
    {
        foreach (var name in ClassNames)
        {
            Directory.CreateDirectory(Path.Combine(root, "png", name));
        }

        var entries = new ImageEntry[count];
        int size = rows * cols;
        Parallel.For(0, count, i =>
        {
            string label = ClassNames[labels[i]];
            string path = Path.Combine(root, "png", label, $"train-{i:D5}.png");
            using (var bitmap = new SKBitmap(new SKImageInfo(cols, rows, SKColorType.Gray8, SKAlphaType.Opaque)))
            {
                for (int y = 0; y < rows; y++)
                {
                    Marshal.Copy(pixels, (i * size) + (y * cols), bitmap.GetPixels() + (y * bitmap.RowBytes), cols);
                }

                using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
                using var file = File.Create(path);
                data.SaveTo(file);
            }

            entries[i] = ImageEntry.FromFile(path, label);
        });
        return [.. entries];
    }

    /// <summary>Upscales each image to 640×480 colour with seeded noise (so it compresses like a photo, not a flat drawing) and saves a quality-90 JPEG.</summary>
    private static List<ImageEntry> WritePhotos(string root, List<ImageEntry> sources)
    {
        const int width = 640, height = 480;
        foreach (var name in ClassNames)
        {
            Directory.CreateDirectory(Path.Combine(root, "jpeg", name));
        }

        var entries = new ImageEntry[sources.Count];
        Parallel.For(0, sources.Count, i =>
        {
            var source = sources[i];
            using var small = SKBitmap.Decode(source.Path!);
            using var gray = small.Resize(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), new SKSamplingOptions(SKCubicResampler.Mitchell));
            using var photo = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
            var random = new Random(i);
            var g = gray.GetPixelSpan();
            var rgba = new int[width * height];
            for (int p = 0; p < g.Length; p++)
            {
                int noise = random.Next(-12, 13);
                uint r = (uint)Math.Clamp(g[p] + noise, 0, 255);
                uint gg = (uint)Math.Clamp((g[p] * 7 / 8) + 20 + noise, 0, 255);
                uint b = (uint)Math.Clamp((g[p] * 3 / 4) + 40 - noise, 0, 255);
                rgba[p] = (int)(r | (gg << 8) | (b << 16) | 0xFF000000u);
            }

            Marshal.Copy(rgba, 0, photo.GetPixels(), rgba.Length); // 640 × 4 bytes per row: no padding

            string path = Path.Combine(root, "jpeg", source.Label, $"photo-{i:D5}.jpg");
            using (var data = photo.Encode(SKEncodedImageFormat.Jpeg, 90))
            using (var file = File.Create(path))
            {
                data.SaveTo(file);
            }

            entries[i] = ImageEntry.FromFile(path, source.Label);
        });
        return [.. entries];
    }
}
