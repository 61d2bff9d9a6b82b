using System.Buffers.Binary;
using SkiaSharp;
using Transfer.Images;

namespace Transfer.Testing;

/// <summary>
/// Draws labelled synthetic images with SkiaSharp: one shape and colour per class, with seeded jitter in position,
/// size and colour, encoded as PNG, JPEG, BMP or WebP. Also writes broken files for negative tests.
/// </summary>
public static class SyntheticImages
{
    /// <summary>Draws a labelled set in memory (entries hold encoded bytes; names are <c>class/class-i.ext</c>).</summary>
    /// <param name="options">What to draw; <see langword="null"/> for the defaults (3 classes × 8 PNGs, 32×32).</param>
    /// <returns>The image set, classes in the order of <see cref="SyntheticImageOptions.Classes"/> sorted ordinally.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static ImageSet InMemory(SyntheticImageOptions? options = null)
    {
        options ??= new SyntheticImageOptions();
        options.Validate();
        var entries = new List<ImageEntry>();
        foreach (var (c, i, bytes) in DrawAll(options))
        {
            entries.Add(ImageEntry.FromBytes(bytes, c.Name, $"{c.Name}/{FileName(c, i, options.Format)}"));
        }

        return ImageSet.FromEntries(entries);
    }

    /// <summary>Writes a labelled set to a new folder, one sub-folder per class; dispose the result to delete it.</summary>
    /// <param name="options">What to draw; <see langword="null"/> for the defaults.</param>
    /// <param name="directory">The folder to create (it must not exist or be empty); <see langword="null"/> for a new temp folder.</param>
    /// <returns>The folder.</returns>
    /// <exception cref="ArgumentException">The options are invalid, or <paramref name="directory"/> is a non-empty folder.</exception>
    public static SyntheticImageFolder WriteToFolder(SyntheticImageOptions? options = null, string? directory = null)
    {
        options ??= new SyntheticImageOptions();
        options.Validate();
        var folder = new SyntheticImageFolder(directory);
        try
        {
            foreach (var (c, i, bytes) in DrawAll(options))
            {
                folder.Write(c.Name, FileName(c, i, options.Format), bytes);
            }

            return folder;
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>Draws and encodes one image.</summary>
    /// <param name="syntheticClass">The class (shape and colour).</param>
    /// <param name="index">The image's index within its class; with the seed it fixes the jitter.</param>
    /// <param name="options">Size, format, background and seed; <see langword="null"/> for the defaults.</param>
    /// <returns>The encoded image.</returns>
    public static byte[] Draw(SyntheticClass syntheticClass, int index, SyntheticImageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(syntheticClass);
        options ??= new SyntheticImageOptions();
        int classSalt = StableHash(syntheticClass.Name);
        var random = new SeededRandom(options.Seed ^ (classSalt * 31) ^ (index * 7919));
        using var bitmap = new SKBitmap(new SKImageInfo(options.Width, options.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(ToColor(options.Background, 0, ref random));
            using var paint = new SKPaint { IsAntialias = true, Color = ToColor(syntheticClass.Color, 24, ref random), Style = SKPaintStyle.Fill };
            DrawShape(canvas, paint, syntheticClass.Shape, options.Width, options.Height, ref random);
        }

        return Encode(bitmap, options.Format);
    }

    /// <summary>Makes the bytes of a broken image file.</summary>
    /// <param name="kind">How it is broken.</param>
    /// <param name="format">For <see cref="BrokenImageKind.Truncated"/>, the format of the image that is cut off.</param>
    /// <returns>The bytes.</returns>
    public static byte[] Broken(BrokenImageKind kind, SyntheticImageFormat format = SyntheticImageFormat.Png) => kind switch
    {
        BrokenImageKind.ZeroBytes => [],
        BrokenImageKind.NotAnImage => "<html><body>This is not an image.</body></html>"u8.ToArray(),
        BrokenImageKind.Truncated => Truncate(Draw(SyntheticImageOptions.DefaultClasses[0], 0, new SyntheticImageOptions { Width = 64, Height = 64, Format = format }), format),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"BrokenImageKind must be one of {string.Join(", ", Enum.GetNames<BrokenImageKind>())}."),
    };

    /// <summary>Gets the file extension (with the dot) for a format.</summary>
    /// <param name="format">The format.</param>
    /// <returns><c>.png</c>, <c>.jpg</c>, <c>.bmp</c> or <c>.webp</c>.</returns>
    public static string Extension(SyntheticImageFormat format) => format switch
    {
        SyntheticImageFormat.Png => ".png",
        SyntheticImageFormat.Jpeg => ".jpg",
        SyntheticImageFormat.Bmp => ".bmp",
        SyntheticImageFormat.Webp => ".webp",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, $"SyntheticImageFormat must be one of {string.Join(", ", Enum.GetNames<SyntheticImageFormat>())}."),
    };

    private static IEnumerable<(SyntheticClass Class, int Index, byte[] Bytes)> DrawAll(SyntheticImageOptions options)
    {
        foreach (var c in options.Classes)
        {
            for (int i = 0; i < options.ImagesPerClass; i++)
            {
                yield return (c, i, Draw(c, i, options));
            }
        }
    }

    private static string FileName(SyntheticClass c, int index, SyntheticImageFormat format) =>
        $"{c.Name}-{index.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)}{Extension(format)}";

    private static void DrawShape(SKCanvas canvas, SKPaint paint, SyntheticShape shape, int width, int height, ref SeededRandom random)
    {
        float min = Math.Min(width, height);
        float radius = (float)(min * random.NextDouble(0.22, 0.34));
        float cx = (width / 2f) + (float)(width * random.NextDouble(-0.12, 0.12));
        float cy = (height / 2f) + (float)(height * random.NextDouble(-0.12, 0.12));
        switch (shape)
        {
            case SyntheticShape.Circle:
                canvas.DrawCircle(cx, cy, radius, paint);
                break;
            case SyntheticShape.Square:
                canvas.DrawRect(cx - radius, cy - radius, 2 * radius, 2 * radius, paint);
                break;
            case SyntheticShape.Triangle:
                using (var path = new SKPath())
                {
                    path.MoveTo(cx, cy - radius);
                    path.LineTo(cx + radius, cy + radius);
                    path.LineTo(cx - radius, cy + radius);
                    path.Close();
                    canvas.DrawPath(path, paint);
                }

                break;
            case SyntheticShape.Cross:
                float bar = radius * 0.45f;
                canvas.DrawRect(cx - radius, cy - (bar / 2), 2 * radius, bar, paint);
                canvas.DrawRect(cx - (bar / 2), cy - radius, bar, 2 * radius, paint);
                break;
            case SyntheticShape.Ring:
                paint.Style = SKPaintStyle.Stroke;
                paint.StrokeWidth = Math.Max(1.5f, radius * 0.35f);
                canvas.DrawCircle(cx, cy, radius, paint);
                break;
            case SyntheticShape.Stripes:
                float period = Math.Max(4f, min / 5f);
                float offset = (float)random.NextDouble(0, period);
                for (float y = offset - period; y < height; y += period)
                {
                    canvas.DrawRect(0, y, width, period / 2, paint);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(shape), shape, $"SyntheticShape must be one of {string.Join(", ", Enum.GetNames<SyntheticShape>())}.");
        }
    }

    private static SKColor ToColor(int rgb, int jitter, ref SeededRandom random)
    {
        byte Channel(int value, ref SeededRandom r) => (byte)Math.Clamp(value + (jitter == 0 ? 0 : r.NextInt((2 * jitter) + 1) - jitter), 0, 255);
        return new SKColor(Channel((rgb >> 16) & 0xFF, ref random), Channel((rgb >> 8) & 0xFF, ref random), Channel(rgb & 0xFF, ref random));
    }

    private static byte[] Encode(SKBitmap bitmap, SyntheticImageFormat format)
    {
        if (format == SyntheticImageFormat.Bmp)
        {
            return EncodeBmp(bitmap);
        }

        var skFormat = format switch
        {
            SyntheticImageFormat.Png => SKEncodedImageFormat.Png,
            SyntheticImageFormat.Jpeg => SKEncodedImageFormat.Jpeg,
            SyntheticImageFormat.Webp => SKEncodedImageFormat.Webp,
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, $"SyntheticImageFormat must be one of {string.Join(", ", Enum.GetNames<SyntheticImageFormat>())}."),
        };
        using var data = bitmap.Encode(skFormat, 90)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode a {bitmap.Width}×{bitmap.Height} image as {format}.");
        return data.ToArray();
    }

    /// <summary>Inserts an EXIF APP1 segment with the given orientation (1–8) right after a JPEG's SOI marker, for tests of EXIF rotation.</summary>
    /// <param name="jpeg">A JPEG file's bytes.</param>
    /// <param name="orientation">The EXIF orientation tag's value.</param>
    /// <returns>The JPEG with the EXIF segment.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="jpeg"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="jpeg"/> does not start with a JPEG SOI marker.</exception>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        ArgumentNullException.ThrowIfNull(jpeg);
        if (jpeg.Length < 2 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            throw new ArgumentException("The bytes do not start with a JPEG SOI marker (FF D8); pass a JPEG file.", nameof(jpeg));
        }

        // TIFF header (big-endian), one IFD entry: tag 0x0112 (Orientation), type SHORT, count 1, value.
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8,
            0, 1,
            0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0,
            0, 0, 0, 0,
        ];
        byte[] exif = [.. "Exif\0\0"u8.ToArray(), .. tiff];
        int length = exif.Length + 2;
        return [.. jpeg[..2], 0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. exif, .. jpeg[2..]];
    }

    /// <summary>Encodes a bitmap as a 24-bit uncompressed BMP (SkiaSharp decodes BMP but cannot encode it): a bottom-up BITMAPINFOHEADER file, rows padded to 4 bytes.</summary>
    /// <param name="bitmap">The pixels (alpha is dropped).</param>
    /// <returns>The BMP file's bytes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="bitmap"/> is <see langword="null"/>.</exception>
    public static byte[] EncodeBmp(SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        int w = bitmap.Width, h = bitmap.Height;
        int stride = ((w * 3) + 3) & ~3;
        int size = 54 + (stride * h);
        var bytes = new byte[size];
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), size);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), h);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(34), stride * h);
        for (int y = 0; y < h; y++)
        {
            int row = 54 + ((h - 1 - y) * stride);
            for (int x = 0; x < w; x++)
            {
                var p = bitmap.GetPixel(x, y);
                bytes[row + (x * 3)] = p.Blue;
                bytes[row + (x * 3) + 1] = p.Green;
                bytes[row + (x * 3) + 2] = p.Red;
            }
        }

        return bytes;
    }

    private static byte[] Truncate(byte[] image, SyntheticImageFormat format)
    {
        // Keep the header so the decoder recognises the format, and cut the pixel data in the middle.
        int keep = format == SyntheticImageFormat.Bmp ? 54 + ((image.Length - 54) / 2) : image.Length / 2;
        return image[..keep];
    }

    private static int StableHash(string text)
    {
        // FNV-1a: string.GetHashCode is randomised per process.
        uint hash = 2166136261;
        foreach (char ch in text)
        {
            hash = (hash ^ ch) * 16777619;
        }

        return (int)hash;
    }
}
