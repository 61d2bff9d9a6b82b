using SkiaSharp;

namespace Transfer.Images;

/// <summary>
/// The SkiaSharp steps behind <see cref="ImageDecoder"/>: decode as ML.NET's <c>MLImage</c> does (EXIF orientation when
/// asked), resize as <c>ResizeImages</c> does, write planes as <c>ExtractPixels</c> does. Shared source: compiled into
/// Transfer.Scoring and Transfer.Core (the dataset audit, resize choice and report thumbnails decode the same way).
/// </summary>
internal static class ImageBitmaps
{
    /// <summary>Decodes an image as ML.NET does, applying EXIF orientation when asked.</summary>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="name">The image's name for messages.</param>
    /// <param name="preprocessing">The settings.</param>
    /// <param name="targetWidth">The width the image will be resized to (after EXIF orientation), or 0 for a full-size decode.</param>
    /// <param name="targetHeight">The height the image will be resized to, or 0 for a full-size decode.</param>
    /// <returns>A BGRA or RGBA bitmap the caller disposes.</returns>
    /// <exception cref="InvalidImageException">The image cannot be used.</exception>
    public static SKBitmap Decode(ReadOnlySpan<byte> encoded, string name, ImagePreprocessing preprocessing, int targetWidth = 0, int targetHeight = 0)
    {
        if (encoded.IsEmpty)
        {
            throw new InvalidImageException(name, "the file is empty (0 bytes).");
        }

        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            string first = Convert.ToHexString(encoded[..Math.Min(8, encoded.Length)]);
            throw new InvalidImageException(name, Signature(encoded) is { } format
                ? $"the file starts as a {format} (first bytes: {first}) but its header is truncated or damaged."
                : $"not a recognised image format (first bytes: {first}). Supported: PNG, JPEG, BMP, GIF, WebP, ICO, WBMP.");
        }

        var info = codec.Info;
        long pixels = (long)info.Width * info.Height;
        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new InvalidImageException(name, $"the header declares an empty size {info.Width}×{info.Height}.");
        }

        if (pixels > preprocessing.MaxPixels)
        {
            throw new InvalidImageException(name, $"the header declares {info.Width}×{info.Height} = {pixels} pixels, over the limit of {preprocessing.MaxPixels} ({nameof(ImagePreprocessing)}.{nameof(ImagePreprocessing.MaxPixels)}). Raise the limit if the image is genuine.");
        }

        // As SKBitmap.Decode (and so MLImage) does: premultiplied alpha, no colour space.
        if (info.AlphaType == SKAlphaType.Unpremul)
        {
            info.AlphaType = SKAlphaType.Premul;
        }

        info.ColorSpace = null;
        if (preprocessing.ScaledDecode && targetWidth > 0 && targetHeight > 0)
        {
            bool swap = preprocessing.ApplyExifOrientation && SwapsSides(codec.EncodedOrigin);
            info = info.WithSize(ScaledSize(codec, swap ? targetHeight : targetWidth, swap ? targetWidth : targetHeight));
        }

        var bitmap = new SKBitmap(info);
        try
        {
            var result = codec.GetPixels(info, bitmap.GetPixels());
            if (result == SKCodecResult.IncompleteInput)
            {
                throw new InvalidImageException(name, "the file is truncated (the decoder ran out of data).");
            }

            if (result != SKCodecResult.Success)
            {
                throw new InvalidImageException(name, $"the decoder failed ({result}).");
            }

            // As MLImage does: any other colour type becomes BGRA.
            if (bitmap.ColorType != SKColorType.Bgra8888 && bitmap.ColorType != SKColorType.Rgba8888)
            {
                var copy = bitmap.Copy(SKColorType.Bgra8888) ?? throw new InvalidImageException(name, $"pixel format {bitmap.ColorType} cannot be converted to BGRA.");
                bitmap.Dispose();
                bitmap = copy;
            }

            if (preprocessing.ApplyExifOrientation && codec.EncodedOrigin != SKEncodedOrigin.TopLeft)
            {
                var upright = Orient(bitmap, codec.EncodedOrigin);
                bitmap.Dispose();
                bitmap = upright;
            }

            return bitmap;
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    /// <summary>The reduced scales tried, smallest first: the DCT scalings of libjpeg-turbo that cost least.</summary>
    private static readonly float[] Scales = [1f / 8, 1f / 4, 1f / 2];

    /// <summary>
    /// The size to decode at: for JPEG and WebP, the smallest of 1/8, 1/4 and 1/2 scale whose both sides still cover the
    /// target (so the resize after it only shrinks, as from the full image); otherwise, or when no reduced scale covers it, the full size.
    /// </summary>
    internal static SKSizeI ScaledSize(SKCodec codec, int targetWidth, int targetHeight)
    {
        var full = new SKSizeI(codec.Info.Width, codec.Info.Height);
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Webp))
        {
            return full;
        }

        foreach (float scale in Scales)
        {
            var size = codec.GetScaledDimensions(scale);
            if (size.Width >= targetWidth && size.Height >= targetHeight && size.Width < full.Width && size.Height < full.Height)
            {
                return size;
            }
        }

        return full;
    }

    private static bool SwapsSides(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    /// <summary>Names the format whose signature <paramref name="encoded"/> starts with, for files the decoder cannot open.</summary>
    private static string? Signature(ReadOnlySpan<byte> encoded) => encoded switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "PNG",
        [0xFF, 0xD8, 0xFF, ..] => "JPEG",
        [(byte)'G', (byte)'I', (byte)'F', (byte)'8', ..] => "GIF",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "WebP",
        [(byte)'B', (byte)'M', _, _, _, _, _, _, _, _, _, _, _, _, ..] => "BMP",
        _ => null,
    };

    /// <summary>
    /// Resizes exactly as ML.NET's <c>MLImage.CloneWithResizing</c> does for the mode. An image already at the size is not
    /// passed here: ML.NET's <c>ResizeImages</c> leaves it as it is (and SkiaSharp 3's cubic draw would blur it), so
    /// <see cref="ImageDecoder.DecodeToPlanes"/> writes it without resizing.
    /// </summary>
    public static SKBitmap? Resize(SKBitmap image, int width, int height, ResizeMode mode)
    {
        if (mode == ResizeMode.Stretch)
        {
#pragma warning disable CS0618 // The overload ML.NET itself calls; kept for bit-exact parity.
            return image.Resize(new SKSizeI(width, height), SKFilterQuality.None);
#pragma warning restore CS0618
        }

        float widthAspect = (float)width / image.Width;
        float heightAspect = (float)height / image.Height;
        int destX = 0;
        int destY = 0;
        float aspect;
        bool crop = mode == ResizeMode.CenterCrop;
        if (crop ? heightAspect < widthAspect : heightAspect >= widthAspect)
        {
            aspect = widthAspect;
            destY = (int)((height - (image.Height * aspect)) / 2);
        }
        else
        {
            aspect = heightAspect;
            destX = (int)((width - (image.Width * aspect)) / 2);
        }

        int destWidth = (int)(image.Width * aspect);
        int destHeight = (int)(image.Height * aspect);
        var destination = new SKBitmap(width, height, isOpaque: true);
        var sourceRect = new SKRect(0, 0, image.Width, image.Height);
        var destRect = new SKRect(destX, destY, destX + destWidth, destY + destHeight);
        using var canvas = new SKCanvas(destination);
#pragma warning disable CS0618 // ML.NET draws with FilterQuality.High; the same call keeps the pixels identical.
        using var paint = new SKPaint { FilterQuality = SKFilterQuality.High };
#pragma warning restore CS0618
        canvas.DrawBitmap(image, sourceRect, destRect, paint);
        return destination;
    }

    /// <summary>Writes planar A, R, G, B planes (0–255 floats) as ML.NET's <c>ExtractPixels</c> with all colours in ARGB order.</summary>
    public static void WritePlanes(SKBitmap image, Span<float> destination)
    {
        int plane = image.Width * image.Height;
        ReadOnlySpan<byte> pixels = image.GetPixelSpan();
        int rowBytes = image.RowBytes;
        bool bgra = image.ColorType == SKColorType.Bgra8888;
        int rIndex = bgra ? 2 : 0;
        int bIndex = bgra ? 0 : 2;
        var a = destination[..plane];
        var r = destination.Slice(plane, plane);
        var g = destination.Slice(2 * plane, plane);
        var b = destination.Slice(3 * plane, plane);
        int i = 0;
        for (int y = 0; y < image.Height; y++)
        {
            var row = pixels.Slice(y * rowBytes, image.Width * 4);
            for (int x = 0; x < row.Length; x += 4, i++)
            {
                r[i] = row[x + rIndex];
                g[i] = row[x + 1];
                b[i] = row[x + bIndex];
                a[i] = row[x + 3];
            }
        }
    }

    private static SKBitmap Orient(SKBitmap bitmap, SKEncodedOrigin origin)
    {
        bool swap = SwapsSides(origin);
        int w = swap ? bitmap.Height : bitmap.Width;
        int h = swap ? bitmap.Width : bitmap.Height;
        var result = new SKBitmap(new SKImageInfo(w, h, bitmap.ColorType, bitmap.AlphaType));
        using var canvas = new SKCanvas(result);
        canvas.Clear(SKColors.Transparent);
        float sw = bitmap.Width;
        float sh = bitmap.Height;

        // x' = a·x + b·y + c, y' = d·x + e·y + f, from the source to the upright image (EXIF 2.32, tag 0x0112).
        var m = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, sw, 0, 1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, sw, 0, -1, sh, 0, 0, 1),
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, sh, 0, 0, 1),
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, sh, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, sh, -1, 0, sw, 0, 0, 1),
            SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, sw, 0, 0, 1),
            _ => SKMatrix.Identity,
        };
        canvas.SetMatrix(m);
        canvas.DrawBitmap(bitmap, 0, 0);
        return result;
    }
}
