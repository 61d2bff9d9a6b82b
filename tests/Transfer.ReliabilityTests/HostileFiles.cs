using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SkiaSharp;

namespace Transfer.ReliabilityTests;

/// <summary>
/// Real and hostile encoded images written by test code: SkiaSharp's PNG/JPEG/WebP encoders, and hand-built PNG
/// (any bit depth and colour type), BMP and animated GIF files for what SkiaSharp cannot write.
/// </summary>
internal static class HostileFiles
{
    public static readonly SKColor Red = new(220, 20, 20);
    public static readonly SKColor Blue = new(20, 20, 220);

    /// <summary>Left half red, right half blue, the colours every format case checks.</summary>
    public static SKColor Halves(int x, int width) => x < width / 2 ? Red : Blue;

    public static byte[] Encode(int width, int height, Func<int, int, SKColor> color, SKEncodedImageFormat format, int quality = 95, SKAlphaType alpha = SKAlphaType.Unpremul)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, alpha));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, color(x, y));
            }
        }

        using var data = bitmap.Encode(format, quality) ?? throw new InvalidOperationException($"SkiaSharp cannot encode {format}.");
        return data.ToArray();
    }

    public static byte[] Png(int width, int height) => Encode(width, height, (x, _) => Halves(x, width), SKEncodedImageFormat.Png);

    public static byte[] Jpeg(int width, int height) => Encode(width, height, (x, _) => Halves(x, width), SKEncodedImageFormat.Jpeg);

    public static byte[] WebP(int width, int height) => Encode(width, height, (x, _) => Halves(x, width), SKEncodedImageFormat.Webp, 100);

    /// <summary>A noisy photo-like PNG (so truncating it really cuts image data, not a trailing chunk).</summary>
    public static byte[] NoisyPng(int width, int height, int seed)
    {
        var random = new Random(seed);
        return Encode(width, height, (_, _) => new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)), SKEncodedImageFormat.Png);
    }

    /// <summary>A PNG built byte by byte: <paramref name="pixel"/> returns each pixel's samples (1–4 of them) at the bit depth.</summary>
    public static byte[] RawPng(int width, int height, int bitDepth, int colorType, Func<int, int, ushort[]> pixel, byte[]? palette = null, byte[]? transparency = null)
    {
        int samples = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw new ArgumentOutOfRangeException(nameof(colorType)) };
        int bytesPerSample = bitDepth == 16 ? 2 : 1;
        using var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0); // filter: none
            for (int x = 0; x < width; x++)
            {
                var values = pixel(x, y);
                for (int s = 0; s < samples; s++)
                {
                    if (bytesPerSample == 2)
                    {
                        raw.WriteByte((byte)(values[s] >> 8));
                    }

                    raw.WriteByte((byte)values[s]);
                }
            }
        }

        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(z);
        }

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)colorType;
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", ihdr);
        if (palette is not null)
        {
            WriteChunk(png, "PLTE", palette);
        }

        if (transparency is not null)
        {
            WriteChunk(png, "tRNS", transparency);
        }

        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A PNG whose IHDR declares <paramref name="width"/>×<paramref name="height"/> with a valid CRC, and almost no data behind it.</summary>
    public static byte[] PngBomb(int width, int height)
    {
        var png = Png(1, 1);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), System.IO.Hashing.Crc32.HashToUInt32(png.AsSpan(12, 17)));
        return png;
    }

    /// <summary>A JPEG whose SOF0 frame header declares <paramref name="width"/>×<paramref name="height"/> (at most 65535 each).</summary>
    public static byte[] JpegBomb(ushort width, ushort height)
    {
        var jpeg = Jpeg(8, 8);
        for (int i = 2; i + 8 < jpeg.Length; i++)
        {
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(i + 5), height);
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(i + 7), width);
                return jpeg;
            }
        }

        throw new InvalidOperationException("No SOF marker in the JPEG.");
    }

    /// <summary>A 24-bit uncompressed BMP (bottom-up rows, padded to 4 bytes).</summary>
    public static byte[] Bmp(int width, int height, Func<int, int, SKColor> color)
    {
        using var bitmap = new SKBitmap(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, color(x, y));
            }
        }

        return Transfer.Testing.SyntheticImages.EncodeBmp(bitmap);
    }

    /// <summary>
    /// An animated GIF89a (NETSCAPE loop extension) whose frames are solid colours, full size. LZW data is written
    /// uncompressed: a clear code every two pixels keeps the code width at 3 bits.
    /// </summary>
    public static byte[] AnimatedGif(int width, int height, params SKColor[] frames)
    {
        using var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        Span<byte> screen = stackalloc byte[7];
        BinaryPrimitives.WriteUInt16LittleEndian(screen, (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(screen[2..], (ushort)height);
        screen[4] = 0xF1; // global colour table of 4 entries
        gif.Write(screen);
        for (int i = 0; i < 4; i++)
        {
            var c = i < frames.Length ? frames[i] : SKColors.Black;
            gif.Write([c.Red, c.Green, c.Blue]);
        }

        gif.Write([0x21, 0xFF, 11, .. "NETSCAPE2.0"u8, 3, 1, 0, 0, 0]);
        Span<byte> descriptor = stackalloc byte[9];
        for (int f = 0; f < frames.Length; f++)
        {
            gif.Write([0x21, 0xF9, 4, 0x04, 10, 0, 0, 0]); // graphic control: 0.1 s, keep frame
            gif.WriteByte(0x2C);
            descriptor.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(descriptor[4..], (ushort)width);
            BinaryPrimitives.WriteUInt16LittleEndian(descriptor[6..], (ushort)height);
            gif.Write(descriptor);
            gif.WriteByte(2); // LZW minimum code size
            var codes = new List<int>();
            for (int p = 0; p < width * height; p++)
            {
                if (p % 2 == 0)
                {
                    codes.Add(4); // clear
                }

                codes.Add(f);
            }

            codes.Add(5); // end of information
            var packed = new List<byte>();
            int bits = 0;
            int acc = 0;
            foreach (int code in codes)
            {
                acc |= code << bits;
                bits += 3;
                while (bits >= 8)
                {
                    packed.Add((byte)acc);
                    acc >>= 8;
                    bits -= 8;
                }
            }

            if (bits > 0)
            {
                packed.Add((byte)acc);
            }

            for (int i = 0; i < packed.Count; i += 255)
            {
                int n = Math.Min(255, packed.Count - i);
                gif.WriteByte((byte)n);
                gif.Write(packed.GetRange(i, n).ToArray());
            }

            gif.WriteByte(0);
        }

        gif.WriteByte(0x3B);
        return gif.ToArray();
    }

    /// <summary>Inserts an EXIF APP1 segment with the given orientation (1–8) right after the JPEG's SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation) => Transfer.Testing.SyntheticImages.WithExifOrientation(jpeg, orientation);

    /// <summary>An HTML error page, as a web server returns it, saved under an image name.</summary>
    public static byte[] Html() => Encoding.UTF8.GetBytes("<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n");

    /// <summary>Seeded random bytes that start with no known image signature.</summary>
    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        bytes[0] = 0x5A; // not 0x00, which SkiaSharp could sniff as a WBMP header
        return bytes;
    }

    /// <summary>A little-endian TIFF header and one strip (a format SkiaSharp does not decode).</summary>
    public static byte[] Tiff() => [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    public static string TestFile(string name) => Path.Combine(AppContext.BaseDirectory, "TestFiles", name);

    private static void WriteChunk(Stream png, string type, byte[] data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        Encoding.ASCII.GetBytes(type, header[4..]);
        png.Write(header);
        png.Write(data);
        var crcInput = new byte[4 + data.Length];
        header[4..].CopyTo(crcInput);
        data.CopyTo(crcInput, 4);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, System.IO.Hashing.Crc32.HashToUInt32(crcInput));
        png.Write(crc);
    }
}
