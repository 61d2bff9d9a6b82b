using SkiaSharp;

namespace Transfer.Tests;

/// <summary>Real encoded images made with SkiaSharp for the tests (shared source: Core and Scoring tests compile it).</summary>
internal static class TestImages
{
    public static byte[] Png(int width, int height, Func<int, int, SKColor> color, SKAlphaType alpha = SKAlphaType.Unpremul)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, alpha));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, color(x, y));
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    public static byte[] Jpeg(int width, int height, Func<int, int, SKColor> color) => Encode(width, height, color, SKEncodedImageFormat.Jpeg);

    public static byte[] Encode(int width, int height, Func<int, int, SKColor> color, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, color(x, y));
            }
        }

        using var data = bitmap.Encode(format, 95);
        return data.ToArray();
    }

    /// <summary>Inserts an EXIF APP1 segment with the given orientation right after the JPEG's SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation) => Transfer.Testing.SyntheticImages.WithExifOrientation(jpeg, orientation);

    /// <summary>A PNG whose header declares a huge size, with almost no data behind it.</summary>
    public static byte[] DecompressionBomb(int width, int height)
    {
        var png = Png(1, 1, (_, _) => SKColors.Black);
        // IHDR starts at byte 16: width, height as big-endian 32-bit; patch them and fix the CRC.
        png[16] = (byte)(width >> 24);
        png[17] = (byte)(width >> 16);
        png[18] = (byte)(width >> 8);
        png[19] = (byte)width;
        png[20] = (byte)(height >> 24);
        png[21] = (byte)(height >> 16);
        png[22] = (byte)(height >> 8);
        png[23] = (byte)height;
        uint crc = System.IO.Hashing.Crc32.HashToUInt32(png.AsSpan(12, 17));
        png[29] = (byte)(crc >> 24);
        png[30] = (byte)(crc >> 16);
        png[31] = (byte)(crc >> 8);
        png[32] = (byte)crc;
        return png;
    }
}
